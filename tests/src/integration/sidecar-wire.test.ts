// Wire-level checks of metadata, health, shutdown, API token and routing with plain HTTP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { call, errorOf } from '../harness/http.js';
import { freePort } from '../harness/processes.js';
import { startRun, tempDir, writeStateComponents, type SidecarHandle } from '../harness/sidecars.js';

describe('metadata, health and routing (wire level)', () => {
  const dir = tempDir();
  let sidecar: SidecarHandle;

  before(async () => {
    sidecar = await startRun({ appId: 'meta', resourcesPath: writeStateComponents(dir.path), home: join(dir.path, 'home'), mode: 'sidecar' });
  });
  after(async () => {
    await sidecar?.stop();
    dir.cleanup();
  });

  it('describes the sidecar in GET /v1.0/metadata', async () => {
    const response = await call('GET', `${sidecar.baseUrl}/v1.0/metadata`);
    assert.equal(response.status, 200);
    const body = response.json() as Record<string, unknown>;
    assert.equal(body.id, 'meta');
    assert.equal(typeof body.runtimeVersion, 'string');
    assert.ok(Array.isArray(body.enabledFeatures));
    const components = body.components as { name: string; type: string; version: string; capabilities: string[] }[];
    const sqlite = components.find((component) => component.name === 'statestore');
    assert.deepEqual({ type: sqlite?.type, version: sqlite?.version }, { type: 'state.sqlite', version: 'v1' });
    for (const capability of ['ETAG', 'TRANSACTIONAL', 'TTL', 'QUERY_API', 'ACTOR']) assert.ok(sqlite?.capabilities.includes(capability), capability);
    assert.deepEqual(body.subscriptions, []);
    assert.deepEqual(body.httpEndpoints, []);
    assert.deepEqual(body.appConnectionProperties, { protocol: 'http', channelAddress: '127.0.0.1' });
  });

  it('stores extended attributes with PUT /v1.0/metadata/{key}', async () => {
    assert.equal((await call('PUT', `${sidecar.baseUrl}/v1.0/metadata/owner`, 'team-a', { 'content-type': 'text/plain' })).status, 204);
    const body = (await call('GET', `${sidecar.baseUrl}/v1.0/metadata`)).json() as { extended: Record<string, string> };
    assert.equal(body.extended.owner, 'team-a');
  });

  it('answers healthz and healthz/outbound with 204, and a wrong appid with ERR_HEALTH_APPID_NOT_MATCH', async () => {
    assert.equal((await call('GET', `${sidecar.baseUrl}/v1.0/healthz`)).status, 204);
    assert.equal((await call('GET', `${sidecar.baseUrl}/v1.0/healthz/outbound`)).status, 204);
    assert.equal((await call('GET', `${sidecar.baseUrl}/v1.0/healthz?appid=meta`)).status, 204);
    const wrong = await call('GET', `${sidecar.baseUrl}/v1.0/healthz?appid=other`);
    assert.equal(wrong.status, 500);
    assert.equal(errorOf(wrong).errorCode, 'ERR_HEALTH_APPID_NOT_MATCH');
  });

  it('treats unknown routes as invocation and fails with 404 ERR_DIRECT_INVOKE when no app id is given', async () => {
    for (const [method, path] of [['GET', '/v1.0/nothing'], ['GET', '/v1.0/state/statestore'], ['DELETE', '/v1.0/metadata'], ['GET', '/v1.0/invoke/app']]) {
      const response = await call(method as string, `${sidecar.baseUrl}${path}`);
      assert.equal(response.status, 404, `${method} ${path}`);
      assert.equal(errorOf(response).errorCode, 'ERR_DIRECT_INVOKE');
    }
  });

  it('fails fast with ERR_DIRECT_INVOKE for an app id nobody serves', async () => {
    const started = Date.now();
    const response = await call('POST', `${sidecar.baseUrl}/v1.0/invoke/ghost/method/hello`, 'x');
    assert.equal(response.status, 500);
    assert.equal(errorOf(response).errorCode, 'ERR_DIRECT_INVOKE');
    assert.match(errorOf(response).message, /ghost/);
    assert.ok(Date.now() - started < 2_000, 'answered quickly');
  });

  it('answers self-invocation with no app channel with ERR_DIRECT_INVOKE', async () => {
    const response = await call('GET', `${sidecar.baseUrl}/v1.0/invoke/meta/method/hello`);
    assert.equal(response.status, 500);
    assert.match(errorOf(response).message, /app channel not initialized/);
  });
});

describe('API token', () => {
  const dir = tempDir();
  let sidecar: SidecarHandle;
  const token = 'secret-token-123';

  before(async () => {
    sidecar = await startRun({ appId: 'guarded', resourcesPath: writeStateComponents(dir.path), home: join(dir.path, 'home'), mode: 'sidecar', env: { DAPR_API_TOKEN: token } });
  });
  after(async () => {
    await sidecar?.stop();
    dir.cleanup();
  });

  it('refuses API calls without the dapr-api-token header with a plain-text 401', async () => {
    for (const [method, path] of [['GET', '/v1.0/metadata'], ['POST', '/v1.0/state/statestore'], ['GET', '/v1.0/state/statestore/k'], ['POST', '/v1.0/shutdown']]) {
      const response = await call(method as string, `${sidecar.baseUrl}${path}`, method === 'POST' ? '[]' : undefined);
      assert.equal(response.status, 401, `${method} ${path}`);
      assert.equal(response.text, 'invalid api token\n');
    }
    const wrong = await call('GET', `${sidecar.baseUrl}/v1.0/metadata`, undefined, { 'dapr-api-token': 'nope' });
    assert.equal(wrong.status, 401);
  });

  it('works with the SDK given daprApiToken', async () => {
    const options = { daprHost: '127.0.0.1', daprPort: String(sidecar.httpPort), communicationProtocol: CommunicationProtocolEnum.HTTP, logger: { level: LogLevel.Error } };
    const withToken = new DaprClient({ ...options, daprApiToken: token });
    await withToken.state.save('statestore', [{ key: 'guarded', value: 'yes' }]);
    assert.equal(await withToken.state.get('statestore', 'guarded'), 'yes');
  });

  it('accepts the right token and leaves health endpoints open', async () => {
    assert.equal((await call('GET', `${sidecar.baseUrl}/v1.0/metadata`, undefined, { 'dapr-api-token': token })).status, 200);
    assert.equal((await call('GET', `${sidecar.baseUrl}/v1.0/healthz`)).status, 204);
    assert.equal((await call('GET', `${sidecar.baseUrl}/v1.0/healthz/outbound`)).status, 204);
  });
});

describe('POST /v1.0/shutdown', () => {
  it('answers 204 and the sidecar exits cleanly', async () => {
    const dir = tempDir();
    const sidecar = await startRun({ appId: 'stopper', resourcesPath: writeStateComponents(dir.path), home: join(dir.path, 'home'), mode: 'sidecar' });
    try {
      assert.equal((await call('POST', `${sidecar.baseUrl}/v1.0/shutdown`)).status, 204);
      assert.equal(await sidecar.process.exited, 0);
    } finally {
      await sidecar.stop();
      dir.cleanup();
    }
  });
});

describe('APP_API_TOKEN', () => {
  it('is sent to the app as dapr-api-token on every call into it', async () => {
    const dir = tempDir();
    const appPort = await freePort();
    const seen: { path: string | undefined; token: string | undefined }[] = [];
    const app = createServer((req, res) => {
      seen.push({ path: req.url, token: req.headers['dapr-api-token'] as string | undefined });
      res.end('ok');
    });
    await new Promise<void>((resolve) => app.listen(appPort, '127.0.0.1', resolve));
    const sidecar = await startRun({ appId: 'tokened', resourcesPath: writeStateComponents(dir.path), home: join(dir.path, 'home'), mode: 'sidecar', appPort, waitForApp: true, env: { APP_API_TOKEN: 'app-secret' } });
    try {
      const response = await call('GET', `${sidecar.baseUrl}/v1.0/invoke/tokened/method/hi`, undefined, { 'dapr-api-token': 'caller-token-must-not-pass' });
      assert.equal(response.text, 'ok');
      assert.ok(seen.some((call) => call.path === '/hi'), 'the invocation reached the app');
      // The sidecar also asks the app for its subscriptions at start; every call carries the app token.
      assert.deepEqual(seen.filter((call) => call.token !== 'app-secret'), []);
    } finally {
      await sidecar.stop();
      app.close();
      dir.cleanup();
    }
  });
});
