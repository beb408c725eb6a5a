// Resiliency on input binding delivery: a cron binding's events go to an app that always fails. With
// an inbound retry policy each tick is delivered 1 + maxRetries times, quickly; a binding without a
// policy is delivered once per tick, as daprd does.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { waitFor } from '@outrigger/kit';
import { call } from '../harness/http.js';
import { freePort, testAppsDir, writeFile } from '../harness/processes.js';
import { startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

const cron = (name: string, route: string) => `---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: bindings.cron
  version: v1
  metadata:
  - name: schedule
    value: "@every 3s"
  - name: route
    value: ${route}
  - name: direction
    value: input
`;

const resiliencyYaml = `---
apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: binding-policies
spec:
  policies:
    retries:
      twoQuick:
        policy: constant
        duration: 100ms
        maxRetries: 2
  targets:
    components:
      tick:
        inbound:
          retry: twoQuick
`;

describe('resiliency: input binding delivery', () => {
  const dir = tempDir();
  let sidecar: SidecarHandle;
  let appPort: number;

  const callsAt = async (key: string): Promise<number> => ((await call('GET', `http://127.0.0.1:${appPort}/calls/${key}`)).json() as { calls: number }).calls;
  const retriesLogged = (name: string) => sidecar.process.output.split('\n').filter((line) => line.includes(`component[${name}] inbound: retry`)).length;

  before(async () => {
    const resources = join(dir.path, 'resources');
    writeFile(join(resources, 'bindings.yaml'), cron('tick', '/fail/ticks') + cron('plaintick', '/fail/plainticks') + resiliencyYaml);
    appPort = await freePort();
    sidecar = await startRun({
      appId: 'ticked', resourcesPath: resources, home: join(dir.path, 'home'), appPort, waitForApp: true, extraFlags: ['--log-level', 'debug'],
      appCommand: [process.execPath, join(testAppsDir, 'resiliency-app.mjs')],
    });
  });

  after(async () => {
    await sidecar?.stop();
    dir.cleanup();
  });

  it('delivers a refused event 1 + maxRetries times under the inbound policy, once without one', async () => {
    await waitFor('the first tick', async () => (await callsAt('ticks')) >= 1, 10_000);
    // The retries come 100 ms apart, well before the next tick 3 s later.
    await waitFor('the two retries of the first tick', async () => (await callsAt('ticks')) >= 3, 1_500);
    assert.ok(retriesLogged('tick') >= 2);
    await waitFor('a tick of the binding without a policy', async () => (await callsAt('plainticks')) >= 1, 10_000);
    assert.equal(retriesLogged('plaintick'), 0);
    const plain = await callsAt('plainticks');
    const withPolicy = await callsAt('ticks');
    assert.ok(withPolicy >= 3 * plain - 2, `three deliveries per tick with the policy (${withPolicy}), one without (${plain})`);
  });
});
