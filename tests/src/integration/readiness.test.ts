// /v1.0/healthz stays 500 until the app's port accepts connections; /healthz/outbound is 204 before.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { waitFor } from '@outrigger/kit';
import { call, errorOf } from '../harness/http.js';
import { freePort } from '../harness/processes.js';
import { startRun, tempDir, writeStateComponents } from '../harness/sidecars.js';

describe('readiness', () => {
  it('reports outbound ready at once and ready only when the app listens', async () => {
    const dir = tempDir();
    const appPort = await freePort();
    const sidecar = await startRun({ appId: 'late', resourcesPath: writeStateComponents(dir.path), home: join(dir.path, 'home'), mode: 'sidecar', appPort });
    const app = createServer((_req, res) => res.end('ok'));
    try {
      const early = await call('GET', `${sidecar.baseUrl}/v1.0/healthz`);
      assert.equal(early.status, 500);
      assert.equal(errorOf(early).errorCode, 'ERR_HEALTH_NOT_READY');
      assert.equal((await call('GET', `${sidecar.baseUrl}/v1.0/healthz/outbound`)).status, 204);
      const metadata = (await call('GET', `${sidecar.baseUrl}/v1.0/metadata`)).json() as { extended: Record<string, string>; appConnectionProperties: { port: number } };
      assert.equal(metadata.extended['outrigger.phase'], 'outbound-ready');
      assert.equal(metadata.appConnectionProperties.port, appPort);
      await new Promise<void>((resolve) => app.listen(appPort, '127.0.0.1', resolve));
      await waitFor('healthz 204', async () => (await call('GET', `${sidecar.baseUrl}/v1.0/healthz`)).status === 204, 10_000);
      const self = await call('GET', `${sidecar.baseUrl}/v1.0/invoke/late/method/anything`);
      assert.equal(self.text, 'ok');
    } finally {
      app.close();
      await sidecar.stop();
      dir.cleanup();
    }
  });
});
