import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ComponentRegistry, type PubSubMessage } from '@outrigger/components-api';
import { runPubSubConformance } from '@outrigger/components-api/conformance';
import { waitFor } from '@outrigger/kit';
import { InMemoryBroker, InMemoryPubSub, registerEmbeddedComponents } from './index.js';
import { testContext } from './testing/context.js';

async function open(metadata: Record<string, string> = {}, broker?: InMemoryBroker): Promise<InMemoryPubSub> {
  const pubsub = new InMemoryPubSub(broker);
  await pubsub.init(testContext(metadata));
  return pubsub;
}

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text));
const text = (message: PubSubMessage): string => Buffer.from(message.data).toString();

// Instances share one broker, as the suite's consumers must share one bus.
const broker = new InMemoryBroker();
runPubSubConformance({ name: 'pubsub.in-memory', create: (consumerId) => open({ consumerID: consumerId }, broker) });

describe('pubsub.in-memory', () => {
  it('is registered with its metadata fields', () => {
    const registry = new ComponentRegistry();
    registerEmbeddedComponents(registry);
    const registration = registry.resolve('pubsub.in-memory', 'v1');
    assert.equal(registration.block, 'pubsub');
    assert.deepEqual(registration.metadata.map((field) => field.name), ['consumerID', 'concurrency']);
    assert.ok(registration.create() instanceof InMemoryPubSub);
  });

  it('uses the app id as consumer group when consumerID is absent', async () => {
    const shared = new InMemoryBroker();
    const first = await open({}, shared);
    const second = await open({ consumerID: 'test-app' }, shared);
    const received: string[] = [];
    await first.subscribe({ topic: 't' }, async (message) => { received.push(`first:${text(message)}`); });
    await second.subscribe({ topic: 't' }, async (message) => { received.push(`second:${text(message)}`); });
    for (const n of [1, 2, 3, 4]) await first.publish({ topic: 't', data: bytes(String(n)) });
    await waitFor('four deliveries', () => received.length >= 4);
    // Same group: each message once, shared between the two.
    assert.deepEqual(received.map((entry) => entry.split(':')[1]).sort(), ['1', '2', '3', '4']);
    assert.ok(received.some((entry) => entry.startsWith('first')) && received.some((entry) => entry.startsWith('second')));
    await Promise.all([first.close(), second.close()]);
  });

  it('gives each instance its own bus unless a broker is shared', async () => {
    const first = await open({ consumerID: 'g' });
    const second = await open({ consumerID: 'g' });
    const received: string[] = [];
    await first.subscribe({ topic: 't' }, async (message) => { received.push(`first:${text(message)}`); });
    await second.subscribe({ topic: 't' }, async (message) => { received.push(`second:${text(message)}`); });
    await second.publish({ topic: 't', data: bytes('only-second') });
    await first.publish({ topic: 't', data: bytes('only-first') });
    await waitFor('both deliveries', () => received.length >= 2);
    assert.deepEqual(received.sort(), ['first:only-first', 'second:only-second']);
    await Promise.all([first.close(), second.close()]);
  });

  it('runs at most `concurrency` handlers of one subscription at once', async () => {
    const pubsub = await open({ concurrency: '2' });
    let running = 0;
    let peak = 0;
    let done = 0;
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => { release = resolve; });
    await pubsub.subscribe({ topic: 't' }, async () => {
      running += 1;
      peak = Math.max(peak, running);
      await held;
      running -= 1;
      done += 1;
    });
    for (let n = 0; n < 6; n += 1) await pubsub.publish({ topic: 't', data: bytes(String(n)) });
    await waitFor('two handlers running', () => running === 2);
    release();
    await waitFor('all six handled', () => done === 6);
    assert.equal(peak, 2);
    await pubsub.close();
  });

  it('refuses a ttlInSeconds that is not an integer, and a publish before init', async () => {
    const pubsub = await open();
    await assert.rejects(pubsub.publish({ topic: 't', data: bytes('x'), metadata: { ttlInSeconds: 'soon' } }), /ttlInSeconds/);
    const failed = await pubsub.bulkPublish('t', [
      { entryId: 'ok', topic: 't', data: bytes('1') },
      { entryId: 'bad', topic: 't', data: bytes('2'), metadata: { ttlInSeconds: '1.5' } },
    ]);
    assert.deepEqual(failed.map((entry) => entry.entryId), ['bad']);
    await pubsub.close();
    await assert.rejects(pubsub.publish({ topic: 't', data: bytes('x') }), /not initialised/);
  });

  it('refuses a concurrency that is not a positive integer', async () => {
    await assert.rejects(open({ concurrency: '0' }), { name: 'MetadataError' });
    await assert.rejects(open({ concurrency: 'many' }), { name: 'MetadataError' });
  });
});
