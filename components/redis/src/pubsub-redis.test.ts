import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { type PubSub, type PubSubMessage } from '@outrigger/components-api';
import { runPubSubConformance } from '@outrigger/components-api/conformance';
import { waitFor } from '@outrigger/kit';
import { RedisPubSub } from './index.js';
import { deleteKeys, rawClient, redisContext, redisUnavailable, RUN } from './testing/redis-test-env.js';

const unavailable = await redisUnavailable();
const streams = new Set<string>();
after(() => deleteKeys(streams));

/** Short timeouts so redelivery happens within a test's patience. */
const fast = { processingTimeout: '1s', redeliverInterval: '200ms' };

/** An instance whose publishes and subscriptions remember their streams, so they can be deleted after the run. */
async function open(metadata: Record<string, string>): Promise<RedisPubSub> {
  const pubsub = new RedisPubSub();
  await pubsub.init(redisContext({ ...fast, ...metadata }));
  const publish = pubsub.publish.bind(pubsub);
  const subscribe = pubsub.subscribe.bind(pubsub);
  pubsub.publish = async (request) => { streams.add(request.topic); return publish(request); };
  pubsub.subscribe = async (request, handler) => { streams.add(request.topic); return subscribe(request, handler); };
  return pubsub;
}

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text));
const text = (message: PubSubMessage): string => Buffer.from(message.data).toString();

if (unavailable) {
  describe('pubsub.redis', () => it('needs a Redis server', { skip: unavailable }, () => undefined));
} else {
  runPubSubConformance({ name: 'pubsub.redis', create: (consumerId) => open({ consumerID: consumerId }) });

  describe('pubsub.redis stream layout and behaviour', () => {
    const instances: PubSub[] = [];
    const raw = rawClient();
    after(async () => {
      await Promise.all(instances.map((instance) => instance.close()));
      raw.disconnect();
    });
    const make = async (metadata: Record<string, string>): Promise<RedisPubSub> => {
      const instance = await open(metadata);
      instances.push(instance);
      return instance;
    };

    it('writes entries with Dapr\'s fields (data, metadata) and reads entries written by daprd', async () => {
      const topic = `${RUN}-layout`;
      const publisher = await make({ consumerID: `${RUN}-p` });
      await publisher.publish({ topic, data: bytes('{"a":1}'), contentType: 'application/json', metadata: { k: 'v' } });
      const entries = await raw.xrange(topic, '-', '+');
      assert.deepEqual(entries[0]?.[1], ['data', '{"a":1}', 'metadata', '{"k":"v"}', 'contentType', 'application/json']);

      const got: PubSubMessage[] = [];
      await (await make({ consumerID: `${RUN}-g` })).subscribe({ topic }, async (message) => { got.push(message); });
      // As daprd's XADD writes it: data and metadata only.
      await raw.xadd(topic, '*', 'data', 'from daprd', 'metadata', '{"traceparent":"00-x"}');
      await waitFor('both entries', () => got.length >= 2);
      assert.equal(text(got[1] as PubSubMessage), 'from daprd');
      assert.deepEqual(got[1]?.metadata, { traceparent: '00-x' });
      assert.equal(got[1]?.contentType, undefined);
    });

    it('trims streams with maxLenApprox', async () => {
      const topic = `${RUN}-maxlen`;
      const publisher = await make({ consumerID: `${RUN}-p2`, maxLenApprox: '10' });
      for (let n = 0; n < 500; n++) await publisher.publish({ topic, data: bytes(String(n)) });
      const length = await raw.xlen(topic);
      assert.ok(length < 500, `the stream was trimmed (${length} entries)`);
    });

    it('takes over the messages of a consumer that died, after processingTimeout', async () => {
      const topic = `${RUN}-takeover`;
      const group = `${RUN}-takeover-group`;
      const publisher = await make({ consumerID: `${RUN}-p3` });
      // A consumer that read two entries and died without acknowledging them.
      await raw.xgroup('CREATE', topic, group, '0', 'MKSTREAM');
      await publisher.publish({ topic, data: bytes('orphan-1') });
      await publisher.publish({ topic, data: bytes('orphan-2') });
      await raw.xreadgroup('GROUP', group, group, 'COUNT', 10, 'STREAMS', topic, '>');
      const got: string[] = [];
      await (await make({ consumerID: group })).subscribe({ topic }, async (message) => { got.push(text(message)); });
      await waitFor('the orphaned messages', () => got.length >= 2, 5000);
      assert.deepEqual(got.sort(), ['orphan-1', 'orphan-2']);
      await waitFor('an empty pending list', async () => (await raw.xpending(topic, group) as [number])[0] === 0);
    });

    it('keeps renewing a slow handler\'s message, so no other consumer takes it', async () => {
      const topic = `${RUN}-slow`;
      const group = `${RUN}-slow-group`;
      const publisher = await make({ consumerID: `${RUN}-p4` });
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => { release = resolve; });
      const first: string[] = [];
      const second: string[] = [];
      // The first consumer never reclaims (its own reclaim passes would also reset the idle time), so only renewal protects the message.
      await (await make({ consumerID: group, redeliverInterval: '1h' })).subscribe({ topic }, async (message) => { first.push(text(message)); await held; });
      await publisher.publish({ topic, data: bytes('slow') });
      await waitFor('the first delivery', () => first.length === 1);
      await (await make({ consumerID: group })).subscribe({ topic }, async (message) => { second.push(text(message)); });
      try {
        // Three processing timeouts pass; a message not renewed would be taken over by the second consumer.
        const until = Date.now() + 3000;
        await waitFor('three processing timeouts', () => Date.now() > until || second.length > 0, 5000);
        assert.deepEqual(second, []);
      } finally {
        release();
      }
      await waitFor('the acknowledgement', async () => (await raw.xpending(topic, group) as [number])[0] === 0);
    });

    it('acknowledges the messages its handlers finish in one turn with one XACK', async () => {
      const topic = `${RUN}-acks`;
      const group = `${RUN}-acks-g`;
      const publisher = await make({ consumerID: `${RUN}-acks-p` });
      for (let index = 0; index < 10; index++) await publisher.publish({ topic, data: bytes(`m${index}`) });
      const monitor = await rawClient().monitor();
      const xacks: string[][] = [];
      monitor.on('monitor', (_time: string, args: string[]) => {
        if (String(args[0]).toLowerCase() === 'xack' && args[1] === topic) xacks.push(args.slice(3));
      });
      let release = (): void => undefined;
      const held = new Promise<void>((resolve) => { release = resolve; });
      let started = 0;
      await (await make({ consumerID: group, concurrency: '10' })).subscribe({ topic }, async () => { started += 1; await held; });
      try {
        await waitFor('ten handlers running', () => started === 10);
        release();
        await waitFor('every message acknowledged', async () => (await raw.xpending(topic, group) as [number])[0] === 0);
        await waitFor('the monitor to show the acknowledgements', () => xacks.flat().length === 10);
      } finally {
        release();
        monitor.disconnect();
      }
      assert.equal(xacks.length, 1, `one XACK for the ten, got ${JSON.stringify(xacks)}`);
    });

    it('closes an idle subscription at once, not after the blocking read\'s readTimeout', async () => {
      const instance = await open({ consumerID: `${RUN}-idle`, readTimeout: '10s' });
      const subscription = await instance.subscribe({ topic: `${RUN}-idle` }, async () => undefined);
      // Let the reader reach its blocking XREADGROUP.
      const raw2 = rawClient();
      await waitFor('the blocked read', async () => /cmd=xreadgroup/.test(await raw2.client('LIST') as string), 5000, 20);
      raw2.disconnect();
      const started = Date.now();
      await subscription.close();
      await instance.close();
      assert.ok(Date.now() - started < 1500, `close took ${Date.now() - started} ms`);
    });

    it('fails a publish at once when the component is closed', async () => {
      const publisher = await open({ consumerID: `${RUN}-p5` });
      await publisher.close();
      await assert.rejects(publisher.publish({ topic: `${RUN}-closed`, data: bytes('x') }), /closed/);
    });
  });
}
