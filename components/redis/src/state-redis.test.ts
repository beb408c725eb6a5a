import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { EtagInvalidError, EtagMismatchError, MetadataError, type StateStore } from '@outrigger/components-api';
import { runStateConformance } from '@outrigger/components-api/conformance';
import { RedisStateStore } from './index.js';
import { deleteKeys, rawClient, redisContext, redisUnavailable, RUN } from './testing/redis-test-env.js';

const unavailable = await redisUnavailable();
const written = new Set<string>();
after(() => deleteKeys(written));

/** A store whose writes are remembered, so the keys can be deleted after the run. */
async function openStore(metadata: Record<string, string> = {}): Promise<RedisStateStore> {
  const store = new RedisStateStore();
  await store.init(redisContext(metadata));
  const remember = (key: string): void => { written.add(key); };
  const set = store.set.bind(store);
  const transact = store.transact.bind(store);
  store.set = async (request) => { remember(request.key); return set(request); };
  store.transact = async (operations, metadata) => { for (const op of operations) remember(op.request.key); return transact(operations, metadata); };
  return store;
}

const json = (value: unknown): Uint8Array => new Uint8Array(Buffer.from(JSON.stringify(value)));

if (unavailable) {
  describe('state.redis', () => it('needs a Redis server', { skip: unavailable }, () => undefined));
} else {
  runStateConformance({
    name: 'state.redis',
    create: () => openStore(),
    skip: [{
      test: 'an ETag from before a delete does not match the re-created key',
      reason: 'Dapr\'s Redis layout: the version counter (the ETag) starts again at 1 when a key is re-created, so an old ETag can match, as in Dapr',
    }],
  });

  describe('state.redis layout and behaviour', () => {
    let store: StateStore;
    const raw = rawClient();
    after(async () => {
      await store?.close();
      raw.disconnect();
    });

    it('stores a hash with data and version, as Dapr does, and reads hashes written by Dapr', async () => {
      store = await openStore();
      const key = `${RUN}-layout`;
      await store.set({ key, value: json({ a: 1 }) });
      await store.set({ key, value: json({ a: 2 }) });
      assert.deepEqual(await raw.hgetall(key), { data: '{"a":2}', version: '2' });
      const dapr = `${RUN}-from-dapr`;
      written.add(dapr);
      await raw.hset(dapr, 'data', '"written by daprd"', 'version', '7', 'first-write', '0');
      const got = await store.get({ key: dapr });
      assert.equal(Buffer.from(got?.value ?? []).toString(), '"written by daprd"');
      assert.equal(got?.etag, '7');
      await store.set({ key: dapr, value: json('next'), etag: '7' });
      assert.equal(await raw.hget(dapr, 'version'), '8');
    });

    it('marks first-write items with the first-write field and replaces a plain string key', async () => {
      const key = `${RUN}-first-write`;
      await store.set({ key, value: json(1), options: { concurrency: 'first-write' } });
      assert.equal(await raw.hget(key, 'first-write'), '0');
      const legacy = `${RUN}-legacy-string`;
      written.add(legacy);
      await raw.set(legacy, '"old"');
      assert.equal(Buffer.from((await store.get({ key: legacy }))?.value ?? []).toString(), '"old"', 'a plain string is read with GET, as Dapr falls back to');
      await store.set({ key: legacy, value: json('new') });
      assert.equal(await raw.type(legacy), 'hash');
    });

    it('accepts ETags as Go integers (+7, 007) and refuses other text as invalid', async () => {
      const key = `${RUN}-etag-forms`;
      for (let n = 0; n < 7; n++) await store.set({ key, value: json(n) });
      await store.set({ key, value: json('x'), etag: '007' });
      await store.set({ key, value: json('y'), etag: '+8' });
      await assert.rejects(store.set({ key, value: json('z'), etag: '1.5' }), EtagInvalidError);
      await assert.rejects(store.set({ key, value: json('z'), etag: '1' }), EtagMismatchError);
    });

    it('applies the component ttlInSeconds to writes without their own, and -1 removes it', async () => {
      const withDefault = await openStore({ ttlInSeconds: '100' });
      try {
        const key = `${RUN}-default-ttl`;
        await withDefault.set({ key, value: json(1) });
        const ttl = await raw.ttl(key);
        assert.ok(ttl > 90 && ttl <= 100, `TTL ${ttl}`);
        await withDefault.set({ key, value: json(2), metadata: { ttlInSeconds: '-1' } });
        assert.equal(await raw.ttl(key), -1);
      } finally {
        await withDefault.close();
      }
    });

    it('a transaction with a wrong ETag writes nothing, even for operations before it', async () => {
      const a = `${RUN}-tx-a`;
      const b = `${RUN}-tx-b`;
      await store.set({ key: b, value: json('b1') });
      const tx = store as RedisStateStore;
      await assert.rejects(tx.transact([
        { operation: 'upsert', request: { key: a, value: json('a1') } },
        { operation: 'delete', request: { key: b, etag: '99' } },
      ]), EtagMismatchError);
      assert.equal(await raw.exists(a), 0);
      // Later operations see earlier ones: upsert then delete with the version the upsert makes.
      await tx.transact([
        { operation: 'upsert', request: { key: b, value: json('b2'), etag: '1' } },
        { operation: 'delete', request: { key: b, etag: '2' } },
      ]);
      assert.equal(await raw.exists(b), 0);
    });

    it('refuses queryIndexes and Redis Cluster with the field named', async () => {
      await assert.rejects(new RedisStateStore().init(redisContext({ queryIndexes: '[]' })), MetadataError);
      await assert.rejects(new RedisStateStore().init(redisContext({ redisType: 'cluster' })), (error: Error) => error instanceof MetadataError && /redisType/.test(error.message));
    });
  });
}

describe('state.redis without a server', () => {
  it('fails init with the address and the cause, within the retry budget', async () => {
    const store = new RedisStateStore();
    const started = Date.now();
    await assert.rejects(store.init(redisContext({ redisHost: '127.0.0.1:1', redisMaxRetries: '1', redisMinRetryInterval: '10ms' })),
      /redis store: error connecting to redis at 127\.0\.0\.1:1: .*ECONNREFUSED/);
    assert.ok(Date.now() - started < 5000);
    await store.close();
  });
});
