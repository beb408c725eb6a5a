// Input bindings for an app that speaks gRPC (the official SDK's DaprServer in gRPC mode): the sidecar
// asks ListInputBindings, then calls OnBindingEvent for every cron tick; an error answer is a refusal
// the cron binding logs and moves past.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { waitFor } from '@outrigger/kit';
import { call } from '../harness/http.js';
import { freePort, testAppsDir, writeFile } from '../harness/processes.js';
import { inMemoryPubSubYaml, startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

describe('input bindings for a gRPC app', () => {
  const dir = tempDir();
  let sidecar: SidecarHandle;

  before(async () => {
    const resources = join(dir.path, 'resources');
    writeFile(join(resources, 'components.yaml'), `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: mycron
spec:
  type: bindings.cron
  version: v1
  metadata:
  - name: schedule
    value: "@every 1s"
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: othercron
spec:
  type: bindings.cron
  version: v1
  metadata:
  - name: schedule
    value: "@every 1s"
${inMemoryPubSubYaml()}`);
    const appPort = await freePort();
    sidecar = await startRun({
      appId: 'grpcbind', resourcesPath: resources, home: join(dir.path, 'home'), appPort, waitForApp: true,
      extraFlags: ['--app-protocol', 'grpc'], appCommand: [process.execPath, join(testAppsDir, 'grpc-sdk-app.mjs')],
    });
  });

  after(async () => {
    await sidecar?.stop();
    dir.cleanup();
  });

  it('delivers cron ticks through OnBindingEvent; the refused first tick does not stop the binding', async () => {
    const cron = await waitFor('two accepted ticks', async () => {
      const seen = (await call('GET', `${sidecar.baseUrl}/v1.0/invoke/grpcbind/method/seen`)).json() as { cron: { refused: number; accepted: number } };
      return seen.cron.accepted >= 2 ? seen.cron : undefined;
    }, 15_000);
    assert.equal(cron.refused, 1);
    // Connect hides a throwing handler's message behind INTERNAL.
    assert.match(sidecar.process.output, /cron binding mycron: the app did not take the tick .*error invoking app: \[internal\]/);
  });

  it('reads only the bindings the app lists', () => {
    assert.match(sidecar.process.output, /input binding mycron delivers to the app at OnBindingEvent/);
    assert.match(sidecar.process.output, /app has not subscribed to binding othercron/);
  });
});
