import assert from 'node:assert/strict';
import { EtagMismatchError, isQueryable, isTransactional, type QueryableStateStore, type StateQuery, type StateStore, type TransactionalStateStore } from '../state.js';
import { json, parse, type ConformanceSuite } from './suite.js';

export const TRANSACTION_TESTS = [
  'transaction: upsert and delete are applied together',
  'transaction: a stale etag in the second operation applies nothing',
] as const;

export const QUERY_TESTS = [
  'query: EQ filter',
  'query: IN filter',
  'query: AND and OR filters',
  'query: sort DESC',
  'query: paging with limit and token',
  'query: keys of another prefix never appear',
] as const;

const transactional = (store: StateStore): string | undefined =>
  isTransactional(store) ? undefined : 'store is not transactional (no transact())';
const queryable = (store: StateStore): string | undefined =>
  isQueryable(store) ? undefined : 'store does not support the query API (no query())';

export function transactionTests(suite: ConformanceSuite): void {
  suite.test('transaction: upsert and delete are applied together', async (store) => {
    const tx = store as TransactionalStateStore;
    const upserted = suite.key('tx-upsert');
    const deleted = suite.key('tx-delete');
    await tx.set({ key: deleted, value: json('old') });
    await tx.transact([
      { operation: 'upsert', request: { key: upserted, value: json('new') } },
      { operation: 'delete', request: { key: deleted } },
    ]);
    assert.deepEqual(parse((await tx.get({ key: upserted }))?.value), 'new');
    assert.equal(await tx.get({ key: deleted }), undefined);
  }, transactional);

  suite.test('transaction: a stale etag in the second operation applies nothing', async (store) => {
    const tx = store as TransactionalStateStore;
    const first = suite.key('tx-first');
    const second = suite.key('tx-second');
    await tx.set({ key: first, value: json('first-before') });
    await tx.set({ key: second, value: json('second-v1') });
    const before = await tx.get({ key: first });
    const stale = (await tx.get({ key: second }))?.etag;
    await tx.set({ key: second, value: json('second-v2') });
    await assert.rejects(tx.transact([
      { operation: 'upsert', request: { key: first, value: json('first-after') } },
      { operation: 'upsert', request: { key: second, value: json('second-v3'), etag: stale } },
    ]), EtagMismatchError);
    const after = await tx.get({ key: first });
    assert.deepEqual(parse(after?.value), 'first-before', 'the first operation was rolled back');
    assert.equal(after?.etag, before?.etag);
    assert.deepEqual(parse((await tx.get({ key: second }))?.value), 'second-v2');
  }, transactional);
}

interface Person {
  readonly person: { readonly org: string; readonly id: number };
  readonly city: string;
  readonly n: number;
}

const PEOPLE: readonly Person[] = [
  { person: { org: 'dev', id: 1 }, city: 'Seattle', n: 1 },
  { person: { org: 'ops', id: 2 }, city: 'Portland', n: 2 },
  { person: { org: 'dev', id: 3 }, city: 'Portland', n: 3 },
  { person: { org: 'qa', id: 4 }, city: 'Austin', n: 4 },
  { person: { org: 'ops', id: 5 }, city: 'Austin', n: 5 },
];

/** Writes PEOPLE under `prefix` as keys `<prefix>1` … `<prefix>5`. */
async function seed(store: StateStore, prefix: string): Promise<void> {
  for (const item of PEOPLE) await store.set({ key: `${prefix}${item.n}`, value: json(item) });
}

async function keysOf(store: QueryableStateStore, prefix: string, query: StateQuery): Promise<string[]> {
  const { results } = await store.query(query, prefix);
  return results.map((item) => item.key);
}

const sorted = (keys: string[]): string[] => [...keys].sort();

export function queryTests(suite: ConformanceSuite): void {
  suite.test('query: EQ filter', async (store) => {
    const prefix = suite.prefix('query-eq');
    await seed(store, prefix);
    // A value that is not JSON must never match a filter.
    await store.set({ key: `${prefix}binary`, value: Uint8Array.from([0xff, 0x00, 0xfe]) });
    const { results } = await (store as QueryableStateStore).query({ filter: { EQ: { 'person.org': 'dev' } } }, prefix);
    assert.deepEqual(sorted(results.map((item) => item.key)), [`${prefix}1`, `${prefix}3`]);
    for (const item of results) {
      assert.ok(item.etag, 'each result carries an etag');
      assert.equal((parse(item.value) as Person).person.org, 'dev');
    }
  }, queryable);

  suite.test('query: IN filter', async (store) => {
    const prefix = suite.prefix('query-in');
    await seed(store, prefix);
    const keys = await keysOf(store as QueryableStateStore, prefix, { filter: { IN: { 'person.org': ['ops', 'qa'] } } });
    assert.deepEqual(sorted(keys), [`${prefix}2`, `${prefix}4`, `${prefix}5`]);
  }, queryable);

  suite.test('query: AND and OR filters', async (store) => {
    const prefix = suite.prefix('query-and-or');
    await seed(store, prefix);
    const target = store as QueryableStateStore;
    const and = await keysOf(target, prefix, { filter: { AND: [{ EQ: { 'person.org': 'dev' } }, { EQ: { city: 'Portland' } }] } });
    assert.deepEqual(and, [`${prefix}3`]);
    const or = await keysOf(target, prefix, {
      filter: { OR: [{ EQ: { city: 'Seattle' } }, { AND: [{ EQ: { 'person.org': 'ops' } }, { EQ: { city: 'Austin' } }] }] },
    });
    assert.deepEqual(sorted(or), [`${prefix}1`, `${prefix}5`]);
  }, queryable);

  suite.test('query: sort DESC', async (store) => {
    const prefix = suite.prefix('query-sort');
    await seed(store, prefix);
    const keys = await keysOf(store as QueryableStateStore, prefix, { sort: [{ key: 'n', order: 'DESC' }] });
    assert.deepEqual(keys, [5, 4, 3, 2, 1].map((n) => `${prefix}${n}`));
  }, queryable);

  suite.test('query: paging with limit and token', async (store) => {
    const prefix = suite.prefix('query-page');
    await seed(store, prefix);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page: StateQuery['page'] = token === undefined ? { limit: 2 } : { limit: 2, token };
      const response = await (store as QueryableStateStore).query({ sort: [{ key: 'n' }], page }, prefix);
      assert.ok(response.results.length <= 2, 'a page holds at most `limit` items');
      seen.push(...response.results.map((item) => item.key));
      token = response.token;
      pages += 1;
      assert.ok(pages <= 5, 'paging terminates');
    } while (token !== undefined);
    assert.deepEqual(seen, [1, 2, 3, 4, 5].map((n) => `${prefix}${n}`), 'every item once, in sort order');
    assert.equal(pages, 3);
  }, queryable);

  suite.test('query: keys of another prefix never appear', async (store) => {
    // Names chosen to catch a naive `LIKE prefix%` (wildcards `_`/`%` in the prefix, ASCII case-folding).
    const base = suite.key('query-iso');
    const prefix = `${base}-a_%||`;
    const others = [`${base}-ab%||x`, `${base}-a_%Z||x`, `${base}-A_%||x`, `${base}-a_%|x`, `${base}-a_`];
    for (const key of others) await store.set({ key, value: json({ n: 0 }) });
    await store.set({ key: `${prefix}mine`, value: json({ n: 1 }) });
    const keys = await keysOf(store as QueryableStateStore, prefix, {});
    assert.deepEqual(keys, [`${prefix}mine`]);
    const filtered = await keysOf(store as QueryableStateStore, prefix, { filter: { EQ: { n: 0 } } });
    assert.deepEqual(filtered, []);
  }, queryable);
}
