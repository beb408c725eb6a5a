import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ComponentRegistry } from '@outrigger/components-api';
import { runStateConformance } from '@outrigger/components-api/conformance';
import { InMemoryStateStore, registerEmbeddedComponents } from './index.js';
import { testContext } from './testing/context.js';

runStateConformance({
  name: 'state.in-memory',
  create: async () => {
    const store = new InMemoryStateStore();
    await store.init(testContext());
    return store;
  },
});

describe('state.in-memory', () => {
  it('numbers versions from 1 and rejects an etag that is not a positive integer as invalid', async () => {
    const store = new InMemoryStateStore();
    await store.init(testContext());
    const value = new Uint8Array(Buffer.from('1'));
    await store.set({ key: 'k', value });
    assert.equal((await store.get({ key: 'k' }))?.etag, '1');
    await store.set({ key: 'k', value, etag: '1' });
    assert.equal((await store.get({ key: 'k' }))?.etag, '2');
    for (const etag of ['0', '-1', '1.0', ' 2', 'abc']) {
      await assert.rejects(store.set({ key: 'k', value, etag }), { name: 'EtagInvalidError' }, `etag ${JSON.stringify(etag)}`);
    }
    await store.close();
  });

  it('keeps its own copy of the bytes written', async () => {
    const store = new InMemoryStateStore();
    await store.init(testContext());
    const value = new Uint8Array(Buffer.from('"abc"'));
    await store.set({ key: 'k', value });
    value[1] = 0x78;
    assert.equal(Buffer.from((await store.get({ key: 'k' }))?.value ?? []).toString(), '"abc"');
    await store.close();
  });

  it('rejects an unknown concurrency option', async () => {
    const store = new InMemoryStateStore();
    await store.init(testContext());
    const options = { concurrency: 'whatever' } as unknown as { concurrency: 'first-write' };
    await assert.rejects(store.set({ key: 'k', value: new Uint8Array(Buffer.from('1')), options }), { name: 'InvalidStateRequestError' });
    await store.close();
  });

  it('is registered as state.in-memory and state.sqlite (alias state.sqlite3)', () => {
    const registry = new ComponentRegistry();
    registerEmbeddedComponents(registry);
    assert.ok(registry.resolve('state.in-memory').create() instanceof InMemoryStateStore);
    assert.equal(registry.resolve('state.sqlite3', 'v1').type, 'state.sqlite');
    assert.deepEqual(registry.resolve('state.sqlite').versions, ['v1']);
  });
});
