import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RedisBinding } from './index.js';
import { deleteKeys, rawClient, redisContext, redisUnavailable, RUN } from './testing/redis-test-env.js';

const unavailable = await redisUnavailable();
const written = new Set<string>();
after(() => deleteKeys(written));

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text));
const text = (data: Uint8Array | undefined): string | undefined => (data === undefined ? undefined : Buffer.from(data).toString());

if (unavailable) {
  describe('bindings.redis', () => it('needs a Redis server', { skip: unavailable }, () => undefined));
} else {
  describe('bindings.redis', () => {
    const binding = new RedisBinding();
    const raw = rawClient();
    after(async () => {
      await binding.close();
      raw.disconnect();
    });
    const key = (label: string): string => {
      const name = `${RUN}-binding-${label}`;
      written.add(name);
      return name;
    };

    it('lists Dapr\'s operations', async () => {
      await binding.init(redisContext());
      assert.deepEqual([...binding.operations()].sort(), ['create', 'delete', 'get', 'increment']);
    });

    it('create stores the bytes as given (a JSON string keeps its quotes); get reads them; delete removes', async () => {
      const name = key('crud');
      assert.equal(await binding.invoke({ operation: 'create', data: bytes('"hello"'), metadata: { key: name } }), undefined);
      assert.equal(await raw.get(name), '"hello"');
      assert.equal(text((await binding.invoke({ operation: 'get', data: new Uint8Array(), metadata: { key: name } }))?.data), '"hello"');
      await binding.invoke({ operation: 'delete', data: new Uint8Array(), metadata: { key: name } });
      assert.equal(await raw.exists(name), 0);
      assert.equal((await binding.invoke({ operation: 'get', data: new Uint8Array(), metadata: { key: name } }))?.data, undefined, 'a missing key has no content');
    });

    it('get with delete=true removes the key (GETDEL)', async () => {
      const name = key('getdel');
      await raw.set(name, 'once');
      assert.equal(text((await binding.invoke({ operation: 'get', data: new Uint8Array(), metadata: { key: name, delete: 'true' } }))?.data), 'once');
      assert.equal(await raw.exists(name), 0);
    });

    it('increment counts; create and increment set ttlInSeconds', async () => {
      const name = key('counter');
      await binding.invoke({ operation: 'increment', data: new Uint8Array(), metadata: { key: name } });
      await binding.invoke({ operation: 'increment', data: new Uint8Array(), metadata: { key: name, ttlInSeconds: '60' } });
      assert.equal(await raw.get(name), '2');
      assert.ok((await raw.ttl(name)) > 50);
      const expiring = key('expiring');
      await binding.invoke({ operation: 'create', data: bytes('x'), metadata: { key: expiring, ttlInSeconds: '2m' } });
      assert.ok((await raw.ttl(expiring)) > 100);
    });

    it('refuses a call without key, and a bad ttlInSeconds before writing', async () => {
      await assert.rejects(binding.invoke({ operation: 'create', data: bytes('x'), metadata: {} }), /missing key in request metadata/);
      const name = key('bad-ttl');
      await assert.rejects(binding.invoke({ operation: 'create', data: bytes('x'), metadata: { key: name, ttlInSeconds: 'soon' } }), /must be a valid integer/);
      await assert.rejects(binding.invoke({ operation: 'create', data: bytes('x'), metadata: { key: name, ttlInSeconds: '0' } }), /higher than zero/);
      assert.equal(await raw.exists(name), 0);
    });
  });
}
