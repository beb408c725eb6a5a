// Caller identity and trace context across the sidecar-to-sidecar hop: an HTTP invocation through the
// caller's sidecar reaches the other app with `dapr-caller-app-id`, `dapr-caller-namespace`, `traceparent`
// and `tracestate` as the caller's sidecar set or received them, and without the caller's API token.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import { call } from '../harness/http.js';
import { freePort, writeFile } from '../harness/processes.js';
import { inMemoryPubSubYaml, startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

describe('context across the sidecar hop', () => {
  const dir = tempDir();
  const home = join(dir.path, 'home');
  let appServer: Server;
  let seen: IncomingHttpHeaders | undefined;
  let callee: SidecarHandle;
  let caller: SidecarHandle;

  before(async () => {
    const resources = join(dir.path, 'resources');
    writeFile(join(resources, 'pubsub.yaml'), inMemoryPubSubYaml());
    const appPort = await freePort();
    appServer = createServer((req, res) => {
      seen = req.headers;
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((resolve) => appServer.listen(appPort, '127.0.0.1', resolve));
    [callee, caller] = await Promise.all([
      startRun({ appId: 'hopcallee', resourcesPath: resources, home, appPort, waitForApp: true, env: { NAMESPACE: 'hopspace' } }),
      startRun({ appId: 'hopcaller', resourcesPath: resources, home, env: { DAPR_API_TOKEN: 'caller-secret', NAMESPACE: 'hopspace' } }),
    ]);
  });

  after(async () => {
    await Promise.all([callee?.stop(), caller?.stop()]);
    await new Promise<void>((resolve) => appServer?.close(() => resolve()));
    dir.cleanup();
  });

  it('passes caller identity and trace context to the other app, and keeps the API token back', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const answer = await call('POST', `${caller.baseUrl}/v1.0/invoke/hopcallee/method/context`, 'x', {
      'content-type': 'text/plain', traceparent, tracestate: 'vendor=value', 'dapr-api-token': 'caller-secret',
    });
    assert.equal(answer.status, 200);
    assert.equal(seen?.['dapr-caller-app-id'], 'hopcaller');
    assert.equal(seen?.['dapr-caller-namespace'], 'hopspace');
    assert.equal(seen?.traceparent, traceparent);
    assert.equal(seen?.tracestate, 'vendor=value');
    assert.equal(seen?.['dapr-api-token'], undefined);
  });
});
