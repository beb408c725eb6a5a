// A private redis-server is killed while sidecars use it for state.redis and pubsub.redis, then started
// again on the same port and data dir: calls during the outage fail fast with Dapr's error codes, the
// sidecars reconnect by themselves, and every publish that was acknowledged is delivered.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@outrigger/kit';
import { call, errorOf } from '../harness/http.js';
import { freePort, testAppsDir, writeFile, type Spawned } from '../harness/processes.js';
import { redisComponentYaml, startPrivateRedis } from '../harness/redis.js';
import { startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

/** Longest a call may take while Redis is down: readTimeout (3 s) plus slack for a loaded machine. */
const FAIL_FAST_MS = 8000;

function delivered(file: string): Set<string> {
  return new Set(existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
}

describe('sidecars ride out a Redis restart', () => {
  const dir = tempDir();
  const dataDir = join(dir.path, 'redis-data');
  const ledger = join(dir.path, 'received.ledger');
  const sidecars: SidecarHandle[] = [];
  let redis: Spawned | undefined;
  let port = 0;
  let publisher: SidecarHandle;
  const acknowledged: string[] = [];

  before(async () => {
    port = await freePort();
    writeFile(join(dataDir, '.keep'), '');
    redis = await startPrivateRedis(port, dataDir);
    const resources = join(dir.path, 'resources');
    const address = `127.0.0.1:${port}`;
    writeFile(join(resources, 'redis.yaml'), redisComponentYaml('statestore', 'state.redis', address)
      + redisComponentYaml('pubsub', 'pubsub.redis', address, { processingTimeout: '2s', redeliverInterval: '500ms' }));
    const home = join(dir.path, 'home');
    publisher = await startRun({ appId: 'outage-publisher', resourcesPath: resources, home });
    sidecars.push(publisher);
    sidecars.push(await startRun({
      appId: 'outage-subscriber', resourcesPath: resources, home, appPort: await freePort(), waitForApp: true,
      appCommand: [process.execPath, join(testAppsDir, 'sdk-subscriber.mjs')], env: { TOPICS: 'orders', LEDGER: ledger },
    }));
  });

  after(async () => {
    await Promise.all(sidecars.map((sidecar) => sidecar.stop()));
    await redis?.stop();
    dir.cleanup();
  });

  const publish = async (id: string): Promise<{ status: number; errorCode?: string; ms: number }> => {
    const started = Date.now();
    const response = await call('POST', `${publisher.baseUrl}/v1.0/publish/pubsub/orders`, { id }, { 'content-type': 'application/json' });
    if (response.status === 204) acknowledged.push(id);
    return { status: response.status, ms: Date.now() - started, ...(response.status === 204 ? {} : { errorCode: errorOf(response).errorCode }) };
  };
  const save = (value: string) => call('POST', `${publisher.baseUrl}/v1.0/state/statestore`, [{ key: 'survivor', value }], { 'content-type': 'application/json' });

  it('fails calls fast during the outage, reconnects afterwards and delivers every acknowledged message', async (t) => {
    for (let n = 0; n < 20; n++) assert.equal((await publish(`before-${n}`)).status, 204);
    assert.equal((await save('before the outage')).status, 204);
    await waitFor('the messages published before the outage', () => acknowledged.every((id) => delivered(ledger).has(id)), 30_000, 50);

    const server = redis as Spawned;
    process.kill(server.pid, 'SIGKILL');
    await server.exited;
    redis = undefined;
    for (let n = 0; n < 5; n++) {
      const result = await publish(`during-${n}`);
      assert.equal(result.status, 500, `publish during the outage answered ${result.status}`);
      assert.equal(result.errorCode, 'ERR_PUBSUB_PUBLISH_MESSAGE');
      assert.ok(result.ms < FAIL_FAST_MS, `publish failed after ${result.ms} ms`);
    }
    const started = Date.now();
    const saved = await save('during the outage');
    assert.equal(saved.status, 500);
    assert.equal(errorOf(saved).errorCode, 'ERR_STATE_SAVE');
    const read = await call('GET', `${publisher.baseUrl}/v1.0/state/statestore/survivor`);
    assert.equal(read.status, 500);
    assert.equal(errorOf(read).errorCode, 'ERR_STATE_GET');
    assert.ok(Date.now() - started < 2 * FAIL_FAST_MS, 'state calls failed fast');

    redis = await startPrivateRedis(port, dataDir);
    let attempt = 0;
    await waitFor('a publish to succeed again', async () => (await publish(`recovery-${attempt++}`)).status === 204, 30_000, 100);
    for (let n = 0; n < 20; n++) assert.equal((await publish(`after-${n}`)).status, 204);
    // The state store reconnects on its own back-off (redisMinRetryInterval, 2 s for state stores, as in Dapr).
    const survivor = await waitFor('the state store to answer again', async () => {
      const response = await call('GET', `${publisher.baseUrl}/v1.0/state/statestore/survivor`);
      return response.status === 200 ? response.text : undefined;
    }, 30_000, 100);
    assert.equal(survivor, '"before the outage"', 'the data survived the restart');
    assert.equal((await save('after the outage')).status, 204);

    await waitFor('every acknowledged message in the subscriber', () => acknowledged.every((id) => delivered(ledger).has(id)), 60_000, 100)
      .catch((error: Error) => {
        const missing = acknowledged.filter((id) => !delivered(ledger).has(id));
        throw new Error(`${error.message}; ${missing.length} missing, e.g. ${missing.slice(0, 5).join(', ')}`);
      });
    t.diagnostic(`${acknowledged.length} acknowledged publishes delivered; ${attempt} publishes until recovery`);
  });
});
