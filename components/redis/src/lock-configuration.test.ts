import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { MetadataError, type ConfigurationUpdate } from '@outrigger/components-api';
import { runConfigurationConformance, runLockConformance, type ConfigurationWriter } from '@outrigger/components-api/conformance';
import { waitFor } from '@outrigger/kit';
import { parseConfigurationValue, RedisConfigurationStore, RedisLockStore } from './index.js';
import { deleteKeys, rawClient, redisContext, redisUnavailable, RUN } from './testing/redis-test-env.js';

const unavailable = await redisUnavailable();
const written = new Set<string>();
after(() => deleteKeys(written));

async function openLock(): Promise<RedisLockStore> {
  const store = new RedisLockStore();
  await store.init(redisContext());
  return store;
}

async function openConfiguration(): Promise<RedisConfigurationStore> {
  const store = new RedisConfigurationStore();
  await store.init(redisContext());
  return store;
}

/** Writes items the way an operator does: `SET key value||version` with a plain client. */
async function redisCliWriter(): Promise<ConfigurationWriter> {
  const raw = rawClient();
  await raw.connect();
  return {
    set: async (key, item) => {
      written.add(key);
      await raw.set(key, item.version ? `${item.value}||${item.version}` : item.value);
    },
    delete: async (key) => {
      await raw.del(key);
    },
    close: async () => {
      raw.disconnect();
    },
  };
}

describe('configuration.redis value format', () => {
  it('splits value||version as Dapr does: only the first two parts count', () => {
    assert.deepEqual(parseConfigurationValue('on||3'), { value: 'on', version: '3' });
    assert.deepEqual(parseConfigurationValue('plain'), { value: 'plain', version: '' });
    assert.deepEqual(parseConfigurationValue('a||b||c'), { value: 'a', version: 'b' });
  });
});

if (unavailable) {
  describe('lock.redis and configuration.redis', () => it('needs a Redis server', { skip: unavailable }, () => undefined));
} else {
  runLockConformance({ name: 'lock.redis (two clients)', create: openLock, createPeer: openLock });
  runConfigurationConformance({ name: 'configuration.redis', create: openConfiguration, createWriter: redisCliWriter, itemMetadata: false });

  describe('lock.redis layout', () => {
    it('a lock is a string key holding the owner, with a PX expiry', async () => {
      const store = await openLock();
      const raw = rawClient();
      try {
        const key = `lock||${RUN}||layout`;
        assert.equal((await store.tryLock({ resourceId: key, lockOwner: 'owner-1', expiryInSeconds: 30 })).success, true);
        assert.equal(await raw.get(key), 'owner-1');
        const ttl = await raw.pttl(key);
        assert.ok(ttl > 25_000 && ttl <= 30_000, `expiry ${ttl} ms`);
        await store.unlock({ resourceId: key, lockOwner: 'owner-1' });
      } finally {
        raw.disconnect();
        await store.close();
      }
    });

    it('refuses a keyPrefix containing ||', async () => {
      await assert.rejects(new RedisLockStore().init(redisContext({ keyPrefix: 'a||b' })), MetadataError);
    });
  });

  describe('configuration.redis behaviour', () => {
    it('leaves out keys of other types and empty values; turns keyspace notifications on', async () => {
      const store = await openConfiguration();
      const raw = rawClient();
      try {
        const [hash, empty, item] = [`${RUN}-cfg-hash`, `${RUN}-cfg-empty`, `${RUN}-cfg-item`];
        for (const key of [hash, empty, item]) written.add(key);
        await raw.hset(hash, 'data', 'x');
        await raw.set(empty, '');
        await raw.set(item, 'v||1');
        assert.deepEqual(await store.get([hash, empty, item], {}), { [item]: { value: 'v', version: '1', metadata: {} } });
        const updates: ConfigurationUpdate[] = [];
        const subscription = await store.subscribe([item], {}, async (update) => { updates.push(update); });
        const flags = (await raw.config('GET', 'notify-keyspace-events') as string[])[1] ?? '';
        for (const flag of ['K', '$', 'g', 'x']) assert.ok(flags.includes(flag) || (flag !== 'K' && flags.includes('A')), `notify-keyspace-events ${flags} has ${flag}`);
        // An expiry is a change too: the item arrives empty once Redis expires it.
        await raw.set(item, 'v||2', 'PX', 200);
        // SET ... PX announces `set` and `expire`, then `expired` when the key goes.
        await waitFor('the expiry', () => updates.some((update) => update.items[item]?.value === ''), 5000);
        assert.equal(updates[0]?.items[item]?.value, 'v');
        assert.deepEqual(updates.at(-1)?.items[item], { value: '', version: '', metadata: {} });
        await subscription.close();
      } finally {
        raw.disconnect();
        await store.close();
      }
    });
  });
}
