import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@outrigger/kit';
import type { ConfigurationStore, ConfigurationUpdate, ConfigurationUpdateHandler } from '../configuration.js';

/** Writes the backend directly, as an operator or another program would; the contract itself has no writes. */
export interface ConfigurationWriter {
  set(key: string, item: { value: string; version?: string; metadata?: Record<string, string> }): Promise<void>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

export interface ConfigurationConformanceOptions {
  /** Shown in the suite title, e.g. `configuration.sqlite`. */
  readonly name: string;
  /** Makes an initialised store; called once, in `before`. The suite closes it in `after`. */
  readonly create: () => Promise<ConfigurationStore>;
  /** Makes a writer on the same backend, ideally through its own connection. The suite closes it in `after`. */
  readonly createWriter: () => Promise<ConfigurationWriter>;
  /** How long a change may take to arrive; default 5000 ms. */
  readonly deliveryTimeoutMs?: number;
  /**
   * False for a store that keeps no item metadata (Dapr's Redis store: items are `value||version`
   * strings); tests then expect empty metadata where the writer gave some. Default true.
   */
  readonly itemMetadata?: boolean;
}

/** Collects updates; `seen(key)` is every item delivered for that key, in order. */
function collector(): { handler: ConfigurationUpdateHandler; updates: ConfigurationUpdate[]; seen(key: string): ConfigurationUpdate['items'][string][] } {
  const updates: ConfigurationUpdate[] = [];
  return {
    handler: async (update) => {
      updates.push(update);
    },
    updates,
    seen: (key) => updates.flatMap((update) => (key in update.items ? [update.items[key] as ConfigurationUpdate['items'][string]] : [])),
  };
}

/**
 * Declares the configuration store conformance tests with node:test: get (some keys, all keys,
 * missing keys) and subscribe (key filtering, deletes, ids, close). Tests never sleep: to show that
 * something was *not* delivered, they write a later change and wait for that one, since a store
 * delivers changes in order. Every test uses its own random keys. Call it at the top level of a `*.test.ts` file.
 */
export function runConfigurationConformance(options: ConfigurationConformanceOptions): void {
  const run = randomUUID().slice(0, 8);
  const key = (label: string): string => `conformance-${run}-${label}-${randomUUID().slice(0, 8)}`;
  const timeout = options.deliveryTimeoutMs ?? 5000;
  const kept = (metadata: Record<string, string>): Record<string, string> => (options.itemMetadata === false ? {} : metadata);
  let store: ConfigurationStore | undefined;
  let writer: ConfigurationWriter | undefined;
  const opened = (): { store: ConfigurationStore; writer: ConfigurationWriter } => {
    if (!store || !writer) throw new Error('conformance: the configuration store was not created; did create() fail?');
    return { store, writer };
  };
  const arrives = (what: string, check: () => boolean): Promise<boolean> => waitFor(what, check, timeout, 20);

  describe(`configuration conformance: ${options.name}`, () => {
    before(async () => {
      store = await options.create();
      writer = await options.createWriter();
    });
    after(async () => {
      await Promise.all([store?.close(), writer?.close()]);
      store = undefined;
      writer = undefined;
    });

    it('get returns value, version and metadata of the keys asked for', async () => {
      const { store, writer } = opened();
      const [a, b, c] = [key('a'), key('b'), key('c')];
      await writer.set(a, { value: 'one', version: '1', metadata: { owner: 'team-a' } });
      await writer.set(b, { value: '{"json":true}' });
      await writer.set(c, { value: 'not asked for' });
      assert.deepEqual(await store.get([a, b], {}), {
        [a]: { value: 'one', version: '1', metadata: kept({ owner: 'team-a' }) },
        [b]: { value: '{"json":true}', version: '', metadata: {} },
      });
    });

    it('get leaves out keys that do not exist', async () => {
      const { store, writer } = opened();
      const present = key('present');
      await writer.set(present, { value: 'here' });
      assert.deepEqual(Object.keys(await store.get([present, key('absent')], {})), [present]);
      assert.deepEqual(await store.get([key('absent')], {}), {});
    });

    it('get with no keys returns every item', async () => {
      const { store, writer } = opened();
      const [a, b] = [key('all-a'), key('all-b')];
      await writer.set(a, { value: '1' });
      await writer.set(b, { value: '2' });
      const all = await store.get([], {});
      assert.equal(all[a]?.value, '1');
      assert.equal(all[b]?.value, '2');
    });

    it('subscribe delivers later changes of the keys asked for, with the subscription id', async () => {
      const { store, writer } = opened();
      const [watched, other] = [key('watched'), key('other')];
      await writer.set(watched, { value: 'before' });
      const events = collector();
      const subscription = await store.subscribe([watched], {}, events.handler);
      try {
        assert.ok(subscription.id, 'the subscription has an id');
        await writer.set(other, { value: 'ignored' });
        await writer.set(watched, { value: 'after', version: '2', metadata: { m: 'x' } });
        await arrives('the change of the watched key', () => events.seen(watched).length > 0);
        assert.deepEqual(events.seen(watched), [{ value: 'after', version: '2', metadata: kept({ m: 'x' }) }], 'only the change, not the value from before');
        assert.deepEqual(events.seen(other), [], 'no change of a key not asked for');
        assert.ok(events.updates.every((update) => update.id === subscription.id));
      } finally {
        await subscription.close();
      }
    });

    it('a deleted key arrives as an empty item', async () => {
      const { store, writer } = opened();
      const doomed = key('doomed');
      await writer.set(doomed, { value: 'x', version: '1' });
      const events = collector();
      const subscription = await store.subscribe([doomed], {}, events.handler);
      try {
        await writer.delete(doomed);
        await arrives('the delete', () => events.seen(doomed).length > 0);
        assert.deepEqual(events.seen(doomed), [{ value: '', version: '', metadata: {} }]);
      } finally {
        await subscription.close();
      }
    });

    it('subscribe with no keys delivers changes of every key', async () => {
      const { store, writer } = opened();
      const [a, b] = [key('any-a'), key('any-b')];
      const events = collector();
      const subscription = await store.subscribe([], {}, events.handler);
      try {
        await writer.set(a, { value: '1' });
        await writer.set(b, { value: '2' });
        await arrives('both changes', () => events.seen(a).length > 0 && events.seen(b).length > 0);
      } finally {
        await subscription.close();
      }
    });

    it('subscriptions have their own ids, and close stops only the closed one', async () => {
      const { store, writer } = opened();
      const watched = key('closing');
      const [closed, open] = [collector(), collector()];
      const first = await store.subscribe([watched], {}, closed.handler);
      const second = await store.subscribe([watched], {}, open.handler);
      try {
        assert.notEqual(first.id, second.id);
        await writer.set(watched, { value: '1' });
        await arrives('the first change on both', () => closed.seen(watched).length === 1 && open.seen(watched).length === 1);
        await first.close();
        await first.close();
        await writer.set(watched, { value: '2' });
        // The open subscription seeing '2' shows the change went by; the closed one must not have it.
        await arrives('the second change on the open subscription', () => open.seen(watched).length === 2);
        assert.equal(closed.seen(watched).length, 1);
      } finally {
        await Promise.all([first.close(), second.close()]);
      }
    });
  });
}
