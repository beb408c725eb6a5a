// state.redis and pubsub.redis on the shared Redis through `outrigger run` and the official SDK: state
// round trips, 1,000 messages at least once while the subscriber's sidecar is SIGKILLed mid-stream,
// competing consumers of one app id, and two app ids that each get every message.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { waitFor } from '@outrigger/kit';
import { LocalRegistry } from '@outrigger/runtime';
import { freePort, testAppsDir, writeFile } from '../harness/processes.js';
import { redisCommand, redisComponentYaml, sharedRedis, sharedRedisUnavailable } from '../harness/redis.js';
import { startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

const unavailable = await sharedRedisUnavailable();
const run = `it-${randomUUID().slice(0, 8)}`;

function ledger(file: string): { ids: string[]; unique: Set<string> } {
  const ids = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  return { ids, unique: new Set(ids) };
}

describe('state.redis and pubsub.redis with the SDK', { skip: unavailable }, () => {
  const dir = tempDir();
  const home = join(dir.path, 'home');
  const resources = join(dir.path, 'resources');
  const running: SidecarHandle[] = [];
  const topics: string[] = [];
  let client: DaprClient;
  let stateSidecar: SidecarHandle;

  before(async () => {
    // Short processing timeout: a killed sidecar's messages are taken over within seconds.
    writeFile(join(resources, 'redis.yaml'), redisComponentYaml('statestore', 'state.redis', sharedRedis, { actorStateStore: 'true' })
      + redisComponentYaml('pubsub', 'pubsub.redis', sharedRedis, { processingTimeout: '2s', redeliverInterval: '500ms' }));
    stateSidecar = await startRun({ appId: `${run}-state`, resourcesPath: resources, home });
    running.push(stateSidecar);
    client = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(stateSidecar.httpPort), communicationProtocol: CommunicationProtocolEnum.HTTP, logger: { level: LogLevel.Error } });
    await client.start();
  });

  after(async () => {
    await client?.stop();
    await Promise.all(running.map((handle) => handle.stop()));
    dir.cleanup();
    const keys = [...topics, ...['a', 'b', 'tx'].map((key) => `${run}-state||${run}-${key}`)];
    await redisCommand(sharedRedis, ['DEL', ...keys]).catch(() => undefined);
  });

  async function startSubscriber(appId: string, topic: string, file: string): Promise<SidecarHandle> {
    const handle = await startRun({
      appId, resourcesPath: resources, home, appPort: await freePort(), waitForApp: true,
      appCommand: [process.execPath, join(testAppsDir, 'sdk-subscriber.mjs')], env: { TOPICS: topic, LEDGER: file },
    });
    running.push(handle);
    return handle;
  }

  async function publish(topic: string, count: number): Promise<SidecarHandle> {
    topics.push(topic);
    const handle = await startRun({
      appId: `${run}-pub-${topics.length}`, resourcesPath: resources, home,
      appCommand: [process.execPath, join(testAppsDir, 'publisher.mjs')], env: { TOPIC: topic, COUNT: String(count), PREFIX: topic },
    });
    running.push(handle);
    return handle;
  }

  it('saves, reads, guards with ETags and transacts through the SDK, in Dapr\'s Redis layout', async () => {
    const [a, b] = [`${run}-a`, `${run}-b`];
    assert.equal((await client.state.save('statestore', [{ key: a, value: { n: 1 } }, { key: b, value: 'text' }])).error, undefined);
    assert.deepEqual(await client.state.get('statestore', a), { n: 1 });
    // The app id prefixes the key, and the item is a hash with data and version, as daprd writes it.
    assert.match(await redisCommand(sharedRedis, ['HGET', `${run}-state||${a}`, 'version']), /^\$1\r\n1\r\n$/);
    const stale = await fetch(`${stateSidecar.baseUrl}/v1.0/state/statestore`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ key: a, value: 2, etag: '9' }]),
    });
    assert.equal(stale.status, 409);
    assert.equal((await stale.json() as { errorCode: string }).errorCode, 'ERR_STATE_SAVE');
    await client.state.transaction('statestore', [
      { operation: 'upsert', request: { key: `${run}-tx`, value: 'in tx' } },
      { operation: 'delete', request: { key: b } },
    ]);
    assert.equal(await client.state.get('statestore', `${run}-tx`), 'in tx');
    assert.equal(await client.state.get('statestore', b), '');
  });

  it('delivers 1,000 messages at least once while the subscriber\'s sidecar is SIGKILLed and restarted', async (t) => {
    const topic = `${run}-storm`;
    const file = join(dir.path, 'storm.ledger');
    const appId = `${run}-ledger`;
    const first = await startSubscriber(appId, topic, file);
    const publisher = await publish(topic, 1000);
    await waitFor('a part of the stream to arrive', () => ledger(file).unique.size >= 150, 60_000, 20);
    const registry = new LocalRegistry(join(home, 'registry.db'));
    const sidecar = registry.list().find((entry) => entry.appId === appId);
    registry.close();
    assert.ok(sidecar, 'the subscriber sidecar is registered');
    process.kill(sidecar.pid, 'SIGKILL');
    await first.process.exited;
    const before = ledger(file).unique.size;
    assert.ok(before < 1000, `the kill came mid-stream (${before} of 1000 delivered)`);
    await startSubscriber(appId, topic, file);
    assert.equal(await publisher.process.exited, 0, publisher.process.output);
    await waitFor('every message in the ledger', () => ledger(file).unique.size === 1000, 90_000, 100);
    const { ids, unique } = ledger(file);
    for (let n = 0; n < 1000; n++) assert.ok(unique.has(`${topic}-${n}`), `${topic}-${n} delivered`);
    t.diagnostic(`delivered before the kill: ${before}; duplicates after redelivery: ${ids.length - unique.size}`);
  });

  it('two sidecars of one app id share the messages; another app id gets every message', async () => {
    const topic = `${run}-groups`;
    const [left, right, other] = ['left', 'right', 'other'].map((name) => join(dir.path, `${name}.ledger`)) as [string, string, string];
    await startSubscriber(`${run}-workers`, topic, left);
    await startSubscriber(`${run}-workers`, topic, right);
    await startSubscriber(`${run}-audit`, topic, other);
    const publisher = await publish(topic, 300);
    assert.equal(await publisher.process.exited, 0, publisher.process.output);
    const shared = (): Set<string> => new Set([...ledger(left).unique, ...ledger(right).unique]);
    await waitFor('every message in the worker group and in the other app id', () => shared().size === 300 && ledger(other).unique.size === 300, 60_000, 100);
    const counts = `${ledger(left).unique.size} + ${ledger(right).unique.size}`;
    assert.ok(ledger(left).unique.size > 0 && ledger(right).unique.size > 0, `both workers got messages (${counts})`);
  });
});
