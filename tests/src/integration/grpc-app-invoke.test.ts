// Service invocation of an app that speaks gRPC (`outrigger run --app-protocol grpc`, the official
// SDK's DaprServer in gRPC mode), called over HTTP: verbs, bodies, query strings and content types
// mapped into InvokeRequest as daprd maps them, the answer's data and content type back, gRPC errors
// as daprd's HTTP status with the status as JSON; directly, through another sidecar, and from the
// SDK's gRPC client through the gRPC API.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprClient, HttpMethod, LogLevel } from '@dapr/dapr';
import { call } from '../harness/http.js';
import { freePort, testAppsDir, writeFile } from '../harness/processes.js';
import { inMemoryPubSubYaml, startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

describe('invoking a gRPC app', () => {
  const dir = tempDir();
  const home = join(dir.path, 'home');
  let app: SidecarHandle;
  let caller: SidecarHandle;

  before(async () => {
    const resources = join(dir.path, 'resources');
    writeFile(join(resources, 'pubsub.yaml'), inMemoryPubSubYaml());
    const appPort = await freePort();
    [app, caller] = await Promise.all([
      startRun({
        appId: 'grpcapp', resourcesPath: resources, home, appPort, waitForApp: true, extraFlags: ['--app-protocol', 'grpc'],
        appCommand: [process.execPath, join(testAppsDir, 'grpc-sdk-app.mjs')],
      }),
      startRun({ appId: 'httpcaller', resourcesPath: resources, home }),
    ]);
  });

  after(async () => {
    await Promise.all([app?.stop(), caller?.stop()]);
    dir.cleanup();
  });

  it('says the app channel is gRPC in the metadata API', async () => {
    const metadata = (await call('GET', `${app.baseUrl}/v1.0/metadata`)).json() as { appConnectionProperties: { protocol: string } };
    assert.equal(metadata.appConnectionProperties.protocol, 'grpc');
  });

  it('passes each verb, the query string, the body and its content type', async () => {
    const get = await call('GET', `${app.baseUrl}/v1.0/invoke/grpcapp/method/echo?a=1&b=two%20words`);
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('content-type'), 'application/json');
    assert.deepEqual(get.json(), { verb: 'get', body: '', query: 'a=1&b=two%20words', contentType: '' });
    const post = await call('POST', `${app.baseUrl}/v1.0/invoke/grpcapp/method/echo`, 'plain words', { 'content-type': 'text/plain' });
    assert.deepEqual(post.json(), { verb: 'post', body: 'plain words', query: '', contentType: 'text/plain' });
    for (const verb of ['PUT', 'DELETE', 'PATCH']) {
      const answer = await call(verb, `${app.baseUrl}/v1.0/invoke/grpcapp/method/echo?v=${verb}`, { n: 1 }, { 'content-type': 'application/json' });
      assert.deepEqual(answer.json(), { verb: verb.toLowerCase(), body: '{"n":1}', query: `v=${verb}`, contentType: 'application/json' }, verb);
    }
  });

  it('keeps the method path, decoded and cleaned as daprd does', async () => {
    const answer = await call('GET', `${app.baseUrl}/v1.0/invoke/grpcapp/method/nested%2Fpath`);
    assert.deepEqual(answer.json(), { nested: true });
    const viaHeader = await call('GET', `${app.baseUrl}/nested/path`, undefined, { 'dapr-app-id': 'grpcapp' });
    assert.deepEqual(viaHeader.json(), { nested: true });
  });

  it('answers a gRPC error with daprd\'s HTTP status and the status as JSON', async () => {
    const answer = await call('POST', `${app.baseUrl}/v1.0/invoke/grpcapp/method/fail`, '{}', { 'content-type': 'application/json' });
    assert.equal(answer.status, 500);
    // The SDK's gRPC server (Connect) answers a handler that throws with INTERNAL and hides the message.
    assert.deepEqual(answer.json(), { code: 13, message: 'internal error' });
  });

  it('answers 200 with an empty body for a method the SDK app does not handle (its empty InvokeResponse)', async () => {
    const answer = await call('GET', `${app.baseUrl}/v1.0/invoke/grpcapp/method/nobody-home`);
    assert.equal(answer.status, 200);
    assert.equal(answer.text, '');
  });

  it('reaches the gRPC app from another sidecar, and from the SDK\'s HTTP client', async () => {
    const remote = await call('POST', `${caller.baseUrl}/v1.0/invoke/grpcapp/method/echo?from=afar`, 'hello', { 'content-type': 'text/plain' });
    assert.equal(remote.status, 200);
    assert.deepEqual(remote.json(), { verb: 'post', body: 'hello', query: 'from=afar', contentType: 'text/plain' });
    const client = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(caller.httpPort), communicationProtocol: CommunicationProtocolEnum.HTTP, logger: { level: LogLevel.Error } });
    const result = await client.invoker.invoke('grpcapp', 'echo', HttpMethod.PUT, { sdk: true });
    assert.deepEqual(result, { verb: 'put', body: '{"sdk":true}', query: '', contentType: 'application/json' });
  });

  it('reaches the gRPC app from the SDK\'s gRPC client, through the gRPC API and another sidecar', async () => {
    const client = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(caller.grpcPort), communicationProtocol: CommunicationProtocolEnum.GRPC, logger: { level: LogLevel.Error } });
    try {
      const result = await client.invoker.invoke('grpcapp', 'echo', HttpMethod.POST, { over: 'grpc' });
      assert.deepEqual(result, { verb: 'post', body: '{"over":"grpc"}', query: '', contentType: 'application/json' });
    } finally {
      await client.stop();
    }
  });
});
