// At-least-once delivery over the embedded durable broker between two `outrigger run` processes:
// 1,000 messages counted by id, once undisturbed and once with the subscriber's sidecar SIGKILLed mid-stream;
// and a publisher that runs to its end before its subscriber ever starts.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@outrigger/kit';
import { LocalRegistry } from '@outrigger/runtime';
import { freePort, testAppsDir } from '../harness/processes.js';
import { sqlitePubSubYaml, startRun, tempDir, writeStateComponents, type SidecarHandle } from '../harness/sidecars.js';

const total = 1000;

function ledger(file: string): { unique: Set<string>; duplicates: number } {
  const ids = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  const unique = new Set(ids);
  return { unique, duplicates: ids.length - unique.size };
}

describe('1,000 messages over pubsub.sqlite between two processes', () => {
  const dir = tempDir();
  const home = join(dir.path, 'home');
  const resources = writeStateComponents(dir.path, sqlitePubSubYaml(join(dir.path, 'broker.db'), 'pubsub',
    '  - name: visibilityTimeout\n    value: 2s\n  - name: pollInterval\n    value: 20ms\n'));
  const running: SidecarHandle[] = [];
  after(async () => {
    await Promise.all(running.map((handle) => handle.stop()));
    dir.cleanup();
  });

  async function startSubscriber(topic: string, file: string): Promise<SidecarHandle> {
    const handle = await startRun({
      appId: `ledger-${topic}`, resourcesPath: resources, home, appPort: await freePort(), waitForApp: true,
      appCommand: [process.execPath, join(testAppsDir, 'sdk-subscriber.mjs')], env: { TOPICS: topic, LEDGER: file },
    });
    running.push(handle);
    return handle;
  }

  async function startPublisher(topic: string): Promise<SidecarHandle> {
    const handle = await startRun({ appId: `pub-${topic}`, resourcesPath: resources, home, appCommand: [process.execPath, join(testAppsDir, 'publisher.mjs')], env: { TOPIC: topic, COUNT: String(total), PREFIX: topic } });
    running.push(handle);
    return handle;
  }

  it('delivers every message when nothing fails', async (t) => {
    const file = join(dir.path, 'calm.ledger');
    await startSubscriber('calm', file);
    const publisher = await startPublisher('calm');
    assert.equal(await publisher.process.exited, 0, publisher.process.output);
    await waitFor('every message in the ledger', () => ledger(file).unique.size === total, 60_000, 100);
    t.diagnostic(`duplicates: ${ledger(file).duplicates}`);
  });

  it('loses nothing when the subscriber\'s sidecar is SIGKILLed mid-stream and restarted', async (t) => {
    const file = join(dir.path, 'storm.ledger');
    const first = await startSubscriber('storm', file);
    const publisher = await startPublisher('storm');
    await waitFor('a part of the stream to arrive', () => ledger(file).unique.size >= 150, 30_000, 20);
    const registry = new LocalRegistry(join(home, 'registry.db'));
    const sidecar = registry.list().find((entry) => entry.appId === 'ledger-storm');
    registry.close();
    assert.ok(sidecar, 'the subscriber sidecar is registered');
    process.kill(sidecar.pid, 'SIGKILL');
    await first.process.exited;
    const before = ledger(file).unique.size;
    assert.ok(before < total, `the kill came mid-stream (${before} of ${total} delivered)`);
    await startSubscriber('storm', file);
    assert.equal(await publisher.process.exited, 0, publisher.process.output);
    await waitFor('every message in the ledger', () => ledger(file).unique.size === total, 90_000, 100);
    const { unique, duplicates } = ledger(file);
    for (let n = 0; n < total; n++) assert.ok(unique.has(`storm-${n}`), `storm-${n} delivered`);
    t.diagnostic(`delivered before the kill: ${before}; duplicates after redelivery: ${duplicates}`);
  });

  it('delivers what a publisher sent before its subscriber first started (the publisher-first start order)', async () => {
    const file = join(dir.path, 'early.ledger');
    const publisher = await startPublisher('early');
    assert.equal(await publisher.process.exited, 0, publisher.process.output);
    // No consumer group had subscribed to the topic while it published.
    await startSubscriber('early', file);
    await waitFor('every message in the ledger', () => ledger(file).unique.size === total, 60_000, 100);
    const { unique } = ledger(file);
    for (let n = 0; n < total; n++) assert.ok(unique.has(`early-${n}`), `early-${n} delivered`);
  });
});
