import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ComponentRegistry, type PubSub, type PubSubMessage } from '@outrigger/components-api';
import { runPubSubConformance } from '@outrigger/components-api/conformance';
import { waitFor } from '@outrigger/kit';
import { JetStreamPubSub, registerNatsComponents } from './index.js';
import { NATS_URL, skipReason, TestStream, testContext } from './testing/server.js';

const skip = await skipReason();
const run = randomUUID().slice(0, 8);
let stream: TestStream;
before(async () => {
  if (!skip) stream = await TestStream.create(`outrigger-test-${run}`);
});
after(() => stream?.remove());

/** An initialised component whose topics are added to the run's stream before use. */
async function open(metadata: Record<string, string>): Promise<PubSub> {
  const pubsub = new JetStreamPubSub();
  await pubsub.init(testContext({ natsURL: NATS_URL, streamName: stream.name, ...metadata }));
  const subscribe = pubsub.subscribe.bind(pubsub);
  const publish = pubsub.publish.bind(pubsub);
  pubsub.subscribe = async (request, handler) => {
    await stream.include(request.topic);
    return subscribe(request, handler);
  };
  pubsub.publish = async (request) => {
    await stream.include(request.topic);
    return publish(request);
  };
  return pubsub;
}

const topic = (label: string): string => `outrigger-test.${run}.${label}.${randomUUID().slice(0, 8)}`;
const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text));
const text = (message: PubSubMessage): string => Buffer.from(message.data).toString();

if (skip) {
  describe('pubsub.jetstream', { skip }, () => undefined);
} else {
  // A consumer group is a durable consumer: its name is the group.
  runPubSubConformance({ name: 'pubsub.jetstream', create: (consumerId) => open({ durableName: consumerId }) });

  describe('pubsub.jetstream', () => {
    it('is registered with Dapr\'s metadata names and defaults, and checks them as daprd does', async () => {
      const registry = new ComponentRegistry();
      registerNatsComponents(registry);
      const registration = registry.resolve('pubsub.jetstream', 'v1');
      const defaults = Object.fromEntries(registration.metadata.map((field) => [field.name, field.default]));
      assert.deepEqual([defaults.deliverPolicy, defaults.ackPolicy, defaults.concurrency], ['all', 'explicit', 'single']);
      await assert.rejects(new JetStreamPubSub().init(testContext({ natsURL: NATS_URL, jwt: 'x' })), /seedKey.*missing seed key/);
      await assert.rejects(new JetStreamPubSub().init(testContext({ natsURL: NATS_URL, deliverPolicy: 'first' })), /deliverPolicy/);
      await assert.rejects(new JetStreamPubSub().init(testContext({})), /natsURL.*required/);
    });

    it('fails init with the server address when nothing listens there', async () => {
      await assert.rejects(new JetStreamPubSub().init(testContext({ natsURL: 'nats://127.0.0.1:1' })), /cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/);
    });

    it('publishing to a subject no stream captures fails, and so does subscribing', async () => {
      const pubsub = new JetStreamPubSub();
      await pubsub.init(testContext({ natsURL: NATS_URL }));
      const orphan = `outrigger-test-orphan.${randomUUID()}`;
      await assert.rejects(pubsub.publish({ topic: orphan, data: bytes('lost?') }), /no responders|503|stream/i);
      await assert.rejects(pubsub.subscribe({ topic: orphan }, async () => undefined), /no JetStream stream captures subject/);
      await pubsub.close();
    });

    it('de-duplicates a republished CloudEvent by its id, as daprd does', async () => {
      const name = topic('dedup');
      const pubsub = await open({ durableName: `dedup-${run}` });
      const before = await stream.count();
      const event = bytes(JSON.stringify({ specversion: '1.0', id: `event-${randomUUID()}`, type: 't', source: 's', data: 1 }));
      await pubsub.publish({ topic: name, data: event });
      await pubsub.publish({ topic: name, data: event });
      assert.equal(await stream.count(), before + 1, 'the second publish of the same event id was dropped by the stream');
      await pubsub.close();
    });

    it('one durableName serves several topics: the second topic gets <durableName>-<topic>', async () => {
      const [first, second] = [topic('multi-a'), topic('multi-b')];
      const durable = `multi-${run}`;
      const pubsub = await open({ durableName: durable });
      const got: string[] = [];
      await pubsub.subscribe({ topic: first }, async (message) => {
        got.push(text(message));
      });
      await pubsub.subscribe({ topic: second }, async (message) => {
        got.push(text(message));
      });
      await pubsub.publish({ topic: first, data: bytes('a') });
      await pubsub.publish({ topic: second, data: bytes('b') });
      await waitFor('both messages', () => got.length === 2);
      const names = (await stream.manager.consumers.list(stream.name).next()).map((info) => info.name);
      assert.ok(names.includes(durable), `consumers: ${names.join(', ')}`);
      assert.ok(names.includes(`${durable}-${second.replaceAll('.', '_')}`), `consumers: ${names.join(', ')}`);
      await pubsub.close();
    });

    it('sidecars sharing a durable consumer take turns on a burst in parallel mode', async () => {
      const name = topic('compete');
      const durable = `compete-${run}`;
      const members = [await open({ durableName: durable, concurrency: 'parallel' }), await open({ durableName: durable, concurrency: 'parallel' })];
      const shares = members.map(() => new Set<string>());
      for (const [index, member] of members.entries()) {
        await member.subscribe({ topic: name }, async (message) => {
          shares[index]!.add(text(message));
        });
      }
      const publisher = await open({});
      await Promise.all(Array.from({ length: 100 }, (_, n) => publisher.publish({ topic: name, data: bytes(`m-${n}`) })));
      const union = (): number => new Set(shares.flatMap((share) => [...share])).size;
      await waitFor('all 100 messages', () => union() === 100, 10_000);
      assert.ok(shares.every((share) => share.size > 0), `both members got messages: ${shares.map((share) => share.size).join(' + ')}`);
      await Promise.all([...members, publisher].map((pubsub) => pubsub.close()));
    });

    it('without durableName, an ephemeral consumer reads the stream from deliverPolicy', async () => {
      const name = topic('ephemeral');
      const publisher = await open({});
      await publisher.publish({ topic: name, data: bytes('old') });
      const pubsub = await open({ deliverPolicy: 'new' });
      const got: string[] = [];
      await pubsub.subscribe({ topic: name }, async (message) => {
        got.push(text(message));
      });
      await publisher.publish({ topic: name, data: bytes('new') });
      await waitFor('the new message', () => got.includes('new'));
      assert.deepEqual(got, ['new'], 'deliverPolicy new skipped the message published before');
      await Promise.all([pubsub.close(), publisher.close()]);
    });
  });
}
