// --app-max-concurrency bounds how many deliveries reach the app at once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { waitFor } from '@outrigger/kit';
import { call } from '../harness/http.js';
import { freePort, testAppsDir } from '../harness/processes.js';
import { inMemoryPubSubYaml, startRun, tempDir, writeStateComponents } from '../harness/sidecars.js';

async function maxInFlight(limit: number | undefined): Promise<number> {
  const dir = tempDir();
  const appPort = await freePort();
  const sidecar = await startRun({
    appId: 'slow', resourcesPath: writeStateComponents(dir.path, inMemoryPubSubYaml()), home: join(dir.path, 'home'), appPort, waitForApp: true,
    appCommand: [process.execPath, join(testAppsDir, 'pubsub-recorder.mjs')],
    env: { SUBSCRIPTIONS: JSON.stringify([{ pubsubname: 'pubsub', topic: 'work', route: '/work' }]) },
    extraFlags: limit === undefined ? [] : ['--app-max-concurrency', String(limit)],
  });
  try {
    for (let index = 0; index < 6; index++) await call('POST', `${sidecar.baseUrl}/v1.0/publish/pubsub/work`, { id: `job${index}`, delayMs: 150 }, { 'content-type': 'application/json' });
    await waitFor('six deliveries', async () => ((await call('GET', `http://127.0.0.1:${appPort}/received`)).json() as unknown[]).length >= 6, 15_000);
    return ((await call('GET', `http://127.0.0.1:${appPort}/stats`)).json() as { maxInFlight: number }).maxInFlight;
  } finally {
    await sidecar.stop();
    dir.cleanup();
  }
}

describe('--app-max-concurrency', () => {
  it('delivers one message at a time with a limit of 1, and several at once without a limit', async () => {
    assert.equal(await maxInFlight(1), 1);
    assert.ok(await maxInFlight(undefined) > 1, 'without the limit deliveries overlap, so the check above can fail');
  });
});
