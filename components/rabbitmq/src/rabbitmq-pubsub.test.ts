import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { ComponentRegistry, type PubSub, type PubSubMessage } from '@outrigger/components-api';
import { runPubSubConformance } from '@outrigger/components-api/conformance';
import { noDelayCalls } from '@outrigger/components-api/testing';
import { waitFor } from '@outrigger/kit';
import { RabbitMqPubSub, registerRabbitMqComponents } from './index.js';
import { BROKER_URL, closeConnectionsNamed, queueDepth, removeTopology, skipReason, testContext } from './testing/broker.js';

const skip = await skipReason();

/** Queues and exchanges the tests make, removed at the end so the shared broker stays clean. */
const queues = new Set<string>();
const exchanges = new Set<string>();
after(() => removeTopology(queues, exchanges));

/** An initialised component that records the exchanges and queues it will declare. */
async function open(metadata: Record<string, string>): Promise<PubSub> {
  const pubsub = new RabbitMqPubSub();
  await pubsub.init(testContext({ connectionString: BROKER_URL, ...metadata }));
  const consumer = metadata.consumerID ?? 'test-app';
  const subscribe = pubsub.subscribe.bind(pubsub);
  const publish = pubsub.publish.bind(pubsub);
  pubsub.subscribe = (request, handler) => {
    exchanges.add(request.topic);
    const queue = `${consumer}-${request.topic}`;
    for (const name of [queue, `dlq-${queue}`]) queues.add(name);
    exchanges.add(`dlx-${queue}`);
    return subscribe(request, handler);
  };
  pubsub.publish = (request) => {
    exchanges.add(request.topic);
    return publish(request);
  };
  return pubsub;
}

const unique = (label: string): string => `outrigger-test-${label}-${randomUUID().slice(0, 8)}`;
const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text));
const text = (message: PubSubMessage): string => Buffer.from(message.data).toString();

if (skip) {
  describe('pubsub.rabbitmq', { skip }, () => undefined);
} else {
  // Queues outlive their consumers (deletedWhenUnused false) so a group keeps receiving while no
  // subscriber is up, and a rejected message comes back (requeueInFailure), as the suite assumes.
  runPubSubConformance({
    name: 'pubsub.rabbitmq',
    create: (consumerId) => open({ consumerID: consumerId, deletedWhenUnused: 'false', requeueInFailure: 'true' }),
  });

  describe('pubsub.rabbitmq', () => {
    it('sends frames at once: Nagle\'s algorithm is off on its connection', async () => {
      // With it on, a publish could wait for the broker's delayed ACK of an ack frame (40 ms).
      const { result: pubsub, values } = await noDelayCalls(() => open({ consumerID: unique('nodelay') }));
      try {
        assert.ok(values.length > 0, 'the connection set its socket options');
        assert.equal(values.at(-1), true, `setNoDelay calls: ${values.join(', ')}`);
      } finally {
        await pubsub.close();
      }
    });

    it('is registered with Dapr\'s metadata names and defaults', () => {
      const registry = new ComponentRegistry();
      registerRabbitMqComponents(registry);
      const registration = registry.resolve('pubsub.rabbitmq', 'v1');
      const defaults = Object.fromEntries(registration.metadata.map((field) => [field.name, field.default]));
      assert.equal(defaults.durable, 'true');
      assert.equal(defaults.deletedWhenUnused, 'true');
      assert.equal(defaults.exchangeKind, 'fanout');
      assert.equal(defaults.requeueInFailure, 'false');
      assert.equal(defaults.reconnectWaitSeconds, '3s');
      assert.deepEqual(registration.metadata.find((field) => field.name === 'connectionString')?.aliases, ['host']);
    });

    it('refuses metadata daprd refuses, naming the field', async () => {
      const cases: [Record<string, string>, RegExp][] = [
        [{ deliveryMode: '3' }, /deliveryMode.*between 0 and 2/],
        [{ exchangeKind: 'x-delayed' }, /exchangeKind/],
        [{ protocol: 'amqps' }, /protocol does not match/],
        [{ connectionString: 'http://localhost' }, /scheme must be amqp or amqps/],
        [{ saslExternal: 'true' }, /saslExternal.*caCert, clientCert, clientKey/],
      ];
      for (const [metadata, message] of cases) {
        await assert.rejects(new RabbitMqPubSub().init(testContext({ connectionString: BROKER_URL, ...metadata })), message);
      }
    });

    it('fails init with the broker address when nothing listens there', async () => {
      await assert.rejects(new RabbitMqPubSub().init(testContext({ connectionString: 'amqp://guest:secret@127.0.0.1:1' })),
        (error: Error) => /cannot connect to RabbitMQ at amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1/.test(error.message) && !error.message.includes('secret'));
    });

    it('declares daprd\'s topology: exchange <topic>, queue <consumerID>-<topic>, dead letters in dlq-<queue>', async () => {
      const topic = unique('topology');
      const pubsub = await open({ consumerID: 'orders', deletedWhenUnused: 'false', enableDeadLetter: 'true' });
      const failed: string[] = [];
      const subscription = await pubsub.subscribe({ topic }, async (message) => {
        failed.push(text(message));
        throw new Error('rejected on purpose');
      });
      assert.equal(await queueDepth(`orders-${topic}`), 0, 'the group queue exists');
      await pubsub.publish({ topic, data: bytes('poison') });
      // requeueInFailure is false: the broker moves the rejected message to the dead-letter queue.
      await waitFor('the message in the dead-letter queue', async () => (await queueDepth(`dlq-orders-${topic}`)) === 1);
      assert.deepEqual(failed, ['poison'], 'delivered once, not requeued');
      await subscription.close();
      await pubsub.close();
    });

    it('per-message TTL comes from the component when the publish sets none', async () => {
      const topic = unique('default-ttl');
      const pubsub = await open({ consumerID: 'ttl', deletedWhenUnused: 'false', ttlInSeconds: '1' });
      await (await pubsub.subscribe({ topic }, async () => undefined)).close();
      await pubsub.publish({ topic, data: bytes('short') });
      await pubsub.publish({ topic, data: bytes('long'), metadata: { ttlInSeconds: '3600' } });
      // The expired message is dropped when it reaches the head of the queue; only the long one stays.
      await waitFor('the default TTL to expire', async () => (await queueDepth(`ttl-${topic}`)) === 1, 10_000, 200);
      await pubsub.close();
    });

    it('reconnects after the broker drops its connection: publish fails meanwhile, then both directions work again', async () => {
      const topic = unique('reconnect');
      const clientName = unique('client');
      const pubsub = await open({ consumerID: 'reconnect', deletedWhenUnused: 'false', clientName, reconnectWaitSeconds: '300ms' });
      const got: string[] = [];
      await pubsub.subscribe({ topic }, async (message) => {
        got.push(text(message));
      });
      await pubsub.publish({ topic, data: bytes('before') });
      await waitFor('the first message', () => got.includes('before'));

      assert.equal(await closeConnectionsNamed(clientName), 1, 'the component\'s connection was found and closed');
      await assert.rejects(pubsub.publish({ topic, data: bytes('during') }), /not connected to RabbitMQ|closed/);
      // Once reconnected, publishes go through and the re-created consumer receives them.
      await waitFor('a publish to succeed again', () => pubsub.publish({ topic, data: bytes('after') }).then(() => true, () => false), 15_000, 100);
      await waitFor('the message published after the reconnection', () => got.includes('after'), 15_000);
      await pubsub.close();
    });

    it('close() cancels the consumer and returns prefetched messages to the queue', async () => {
      const topic = unique('close');
      const pubsub = await open({ consumerID: 'close', deletedWhenUnused: 'false', concurrency: 'single' });
      const started: string[] = [];
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const subscription = await pubsub.subscribe({ topic }, async (message) => {
        started.push(text(message));
        await held;
      });
      for (const n of [1, 2, 3]) await pubsub.publish({ topic, data: bytes(`m${n}`) });
      await waitFor('the first handler', () => started.length === 1);
      const closing = subscription.close();
      release();
      await closing;
      assert.deepEqual(started, ['m1'], 'messages queued behind the single handler never started');
      // m1 was acknowledged; m2 and m3 went back to the queue with the channel.
      await waitFor('two messages back in the queue', async () => (await queueDepth(`close-${topic}`)) === 2);
      await pubsub.close();
    });
  });
}
