// Service invocation between apps, each beside its own `outrigger run` sidecar: the caller uses the
// official SDK's DaprClient (and plain HTTP for wire details), the callees are a plain HTTP app and a DaprServer app.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprClient, HttpMethod, LogLevel } from '@dapr/dapr';
import { Pool } from 'undici';
import { call, errorOf, postExpectingContinue } from '../harness/http.js';
import { freePort, testAppsDir } from '../harness/processes.js';
import { startRun, tempDir, writeStateComponents, type SidecarHandle } from '../harness/sidecars.js';

interface Echo {
  appId: string;
  method: string;
  path: string;
  rawUrl: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  bodyLength: number;
  bodySha256: string;
  bodyText?: string;
}

describe('service invocation between two apps (SDK, HTTP)', () => {
  const dir = tempDir();
  const home = join(dir.path, 'home');
  const namespaceEnv = { NAMESPACE: 'prod' };
  let caller: SidecarHandle;
  let echo: SidecarHandle;
  let sdkApp: SidecarHandle;
  let client: DaprClient;

  before(async () => {
    const resources = writeStateComponents(dir.path);
    const [echoPort, sdkPort] = [await freePort(), await freePort()];
    [caller, echo, sdkApp] = await Promise.all([
      // Bodies up to 16 MiB, so one can pass the 4 MiB retry buffer (and stream between the sidecars).
      startRun({ appId: 'caller', resourcesPath: resources, home, env: namespaceEnv, extraFlags: ['--max-body-size', '16Mi'] }),
      startRun({ appId: 'echo', resourcesPath: resources, home, env: namespaceEnv, appPort: echoPort, appCommand: [process.execPath, join(testAppsDir, 'echo-app.mjs')], waitForApp: true,
        extraFlags: ['--max-body-size', '16Mi'] }),
      // A callee with a smaller body limit than its callers, whatever way the body travels between the sidecars.
      startRun({ appId: 'greeter', resourcesPath: resources, home, env: namespaceEnv, appPort: sdkPort, appCommand: [process.execPath, join(testAppsDir, 'sdk-server-app.mjs')], waitForApp: true,
        extraFlags: ['--max-body-size', '1Mi'] }),
    ]);
    client = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(caller.httpPort), communicationProtocol: CommunicationProtocolEnum.HTTP, logger: { level: LogLevel.Error } });
    await client.start();
  });

  after(async () => {
    await client?.stop();
    await Promise.all([caller?.stop(), echo?.stop(), sdkApp?.stop()]);
    dir.cleanup();
  });

  it('carries every verb, the method path and the query string to the other app', async () => {
    for (const verb of [HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.PATCH]) {
      const body = verb === HttpMethod.GET || verb === HttpMethod.DELETE ? undefined : { verb };
      const answer = await client.invoker.invoke('echo', 'orders/42/items?sort=desc&page=2', verb, body) as unknown as Echo;
      assert.equal(answer.appId, 'echo');
      assert.equal(answer.method, verb.toUpperCase());
      assert.equal(answer.path, '/orders/42/items');
      assert.deepEqual(answer.query, { sort: 'desc', page: '2' });
      if (body) assert.deepEqual(JSON.parse(answer.bodyText ?? ''), body);
    }
    for (const verb of ['HEAD', 'OPTIONS']) {
      const response = await call(verb, `${caller.baseUrl}/v1.0/invoke/echo/method/probe`);
      assert.equal(response.status, 200, verb);
      assert.equal(response.headers.get('x-echo-app'), 'echo');
    }
  });

  it('passes headers both ways, adds the caller id and keeps the API token header inside the sidecar', async () => {
    const answer = await client.invoker.invoke('echo', 'headers', HttpMethod.POST, { a: 1 }, { headers: { 'x-custom': 'yes' } }) as unknown as Echo;
    assert.equal(answer.headers['x-custom'], 'yes');
    assert.equal(answer.headers['dapr-caller-app-id'], 'caller');
    assert.equal(answer.headers['dapr-callee-app-id'], 'echo');
    assert.equal(answer.headers['dapr-caller-namespace'], 'prod');
    const raw = await call('GET', `${caller.baseUrl}/v1.0/invoke/echo/method/token`, undefined, { 'dapr-api-token': 'not-for-the-app' });
    assert.equal((raw.json() as Echo).headers['dapr-api-token'], undefined);
    assert.equal(raw.headers.get('x-echo-app'), 'echo');
  });

  it('passes the app status through unchanged', async () => {
    for (const status of [201, 404, 418, 503]) {
      const response = await call('POST', `${caller.baseUrl}/v1.0/invoke/echo/method/status?status=${status}`, 'x');
      assert.equal(response.status, status);
      assert.equal((response.json() as Echo).appId, 'echo');
    }
    await assert.rejects(client.invoker.invoke('echo', 'fail?status=500', HttpMethod.GET), /500/);
  });

  it('streams a 3 MB body to the other app intact', async () => {
    const payload = randomBytes(3 * 1024 * 1024);
    const response = await call('POST', `${caller.baseUrl}/v1.0/invoke/echo/method/upload`, payload, { 'content-type': 'application/octet-stream' });
    assert.equal(response.status, 200);
    const answer = response.json() as Echo;
    assert.equal(answer.bodyLength, payload.length);
    assert.equal(answer.bodySha256, createHash('sha256').update(payload).digest('hex'));
  });

  it('streams a 6 MB body (past the retry buffer) to the other app, and a 5 MB chunked answer back, intact', async () => {
    const payload = randomBytes(6 * 1024 * 1024);
    const upload = await call('POST', `${caller.baseUrl}/v1.0/invoke/echo/method/upload`, payload, { 'content-type': 'application/octet-stream' });
    assert.equal(upload.status, 200);
    assert.equal((upload.json() as Echo).bodySha256, createHash('sha256').update(payload).digest('hex'));
    const size = 5 * 1024 * 1024;
    const expected = Buffer.alloc(size);
    for (let index = 0; index < size; index++) expected[index] = index % 251;
    const download = await fetch(`${caller.baseUrl}/v1.0/invoke/echo/method/download?download=${size}`);
    assert.equal(download.status, 200);
    assert.equal(download.headers.get('x-echo-app'), 'echo');
    const received = Buffer.from(await download.arrayBuffer());
    assert.equal(received.length, size);
    assert.ok(received.equals(expected), 'the answer arrived byte for byte');
  });

  it('refuses a body over the callee sidecar\'s own limit with ERR_DIRECT_INVOKE, and the callee stays up', async () => {
    // 2 MB: under the caller's limit and read whole, so it travels in one frame between the sidecars.
    const response = await call('POST', `${caller.baseUrl}/v1.0/invoke/greeter/method/greet`, randomBytes(2 * 1024 * 1024), { 'content-type': 'application/octet-stream' });
    assert.equal(response.status, 500);
    assert.equal(errorOf(response).errorCode, 'ERR_DIRECT_INVOKE');
    assert.match(errorOf(response).message, /greeter.*stream too large/);
    const greeting = await client.invoker.invoke('greeter', 'greet', HttpMethod.POST, { name: 'still here' });
    assert.deepEqual(greeting, { greeting: 'hello still here', caller: 'caller', app: 'greeter' });
  });

  it('refuses a streamed body over the callee\'s limit the same way, and the caller\'s connection carries the next call', async () => {
    // 6 MB: past the 4 MiB retry buffer, so it streams to the callee's sidecar over HTTP/1.1, which
    // refuses it before reading it all. One connection, so the next call must reuse it.
    const pool = new Pool(caller.baseUrl, { connections: 1, pipelining: 1 });
    let connections = 0;
    pool.on('connect', () => connections++);
    try {
      for (let round = 0; round < 2; round++) {
        const refused = await pool.request({ method: 'POST', path: '/v1.0/invoke/greeter/method/greet', body: randomBytes(6 * 1024 * 1024), headers: { 'content-type': 'application/octet-stream' } });
        const error = await refused.body.json() as { errorCode: string; message: string };
        assert.equal(refused.statusCode, 500);
        assert.equal(error.errorCode, 'ERR_DIRECT_INVOKE');
        assert.match(error.message, /greeter.*stream too large/);
        const next = await pool.request({ method: 'POST', path: '/v1.0/invoke/greeter/method/greet', body: JSON.stringify({ name: `round ${round}` }), headers: { 'content-type': 'application/json' } });
        assert.equal(next.statusCode, 200);
        assert.deepEqual(await next.body.json(), { greeting: `hello round ${round}`, caller: 'caller', app: 'greeter' });
      }
      assert.equal(connections, 1, 'the refused uploads did not cost the caller its connection');
    } finally {
      await pool.close();
    }
  });

  it('meets an Expect: 100-continue at the caller\'s sidecar and carries the body to the other app', async () => {
    const body = Buffer.from('x'.repeat(2048));
    const answer = await postExpectingContinue(caller.httpPort, '/v1.0/invoke/echo/method/upload', body);
    assert.equal(answer.status, 200, answer.text);
    const echoed = JSON.parse(answer.text) as Echo;
    assert.equal(echoed.bodyText, body.toString());
    assert.equal(echoed.headers.expect, undefined);
  });

  it('accepts the dapr-app-id header form and app.namespace targets', async () => {
    const byHeader = await call('PUT', `${caller.baseUrl}/some/route?x=1`, 'hi', { 'dapr-app-id': 'echo' });
    assert.equal(byHeader.status, 200);
    const echoed = byHeader.json() as Echo;
    assert.equal(echoed.rawUrl, '/some/route?x=1');
    assert.equal(echoed.headers['dapr-app-id'], undefined);
    const byNamespace = await call('GET', `${caller.baseUrl}/v1.0/invoke/echo.prod/method/ns`);
    assert.equal((byNamespace.json() as Echo).appId, 'echo');
    const otherNamespace = await call('GET', `${caller.baseUrl}/v1.0/invoke/echo.staging/method/ns`);
    assert.equal(otherNamespace.status, 500);
    assert.equal(errorOf(otherNamespace).errorCode, 'ERR_DIRECT_INVOKE');
  });

  it('invokes an app built on DaprServer, which can use its own sidecar', async () => {
    const greeting = await client.invoker.invoke('greeter', 'greet', HttpMethod.POST, { name: 'ada' });
    assert.deepEqual(greeting, { greeting: 'hello ada', caller: 'caller', app: 'greeter' });
    const remembered = await client.invoker.invoke('greeter', 'remember', HttpMethod.POST, { key: 'fact', value: { sky: 'blue' } });
    assert.deepEqual(remembered, { stored: { sky: 'blue' } });
  });

  it('fails fast with ERR_DIRECT_INVOKE for an unknown app id', async () => {
    const response = await call('GET', `${caller.baseUrl}/v1.0/invoke/nobody/method/x`);
    assert.equal(response.status, 500);
    assert.equal(errorOf(response).errorCode, 'ERR_DIRECT_INVOKE');
  });
});
