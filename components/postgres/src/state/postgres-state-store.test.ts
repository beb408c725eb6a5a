import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EtagInvalidError, EtagMismatchError, type StateStore } from '@outrigger/components-api';
import { runStateConformance } from '@outrigger/components-api/conformance';
import { waitFor } from '@outrigger/kit';
import { adminClient, postgresUnavailable, skipAll, TEST_CONNECTION_STRING, testContext, uniqueTable } from '../testing/server.js';
import { PostgresStateStore } from './postgres-state-store.js';

const unavailable = await postgresUnavailable();
const tables: string[] = [];
const tableOf = new WeakMap<PostgresStateStore, { table: string; metadataTable: string }>();

async function openStore(metadata: Record<string, string> = {}): Promise<PostgresStateStore> {
  const tableName = metadata.tableName ?? uniqueTable('state');
  const metadataTableName = metadata.metadataTableName ?? `${tableName}_meta`;
  tables.push(tableName, metadataTableName);
  const store = new PostgresStateStore();
  await store.init(testContext({ connectionString: TEST_CONNECTION_STRING, ...metadata, tableName, metadataTableName }));
  tableOf.set(store, { table: tableName, metadataTable: metadataTableName });
  return store;
}

const json = (value: unknown) => new Uint8Array(Buffer.from(JSON.stringify(value)));
const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('utf8');

if (unavailable) {
  skipAll('state.postgresql', unavailable);
} else {
  after(async () => {
    const client = await adminClient();
    try {
      for (const table of tables) await client.query(`DROP TABLE IF EXISTS ${table}`);
    } finally {
      await client.end();
    }
  });

  runStateConformance({
    name: 'state.postgresql',
    create: () => openStore(),
    skip: [{
      test: 'set and get a JSON value',
      reason: 'jsonb keeps the JSON document, not its bytes (as in Dapr); see "JSON values come back as equal documents" below',
    }],
  });

  describe('state.postgresql', () => {
    let store: PostgresStateStore;
    let table = '';
    let metadataTable = '';
    before(async () => {
      store = await openStore();
      ({ table, metadataTable } = tableOf.get(store) as { table: string; metadataTable: string });
    });
    after(() => store.close());

    it('JSON values come back as equal documents in PostgreSQL normal form, and stay queryable', async () => {
      const value = { name: 'Ada', tags: ['x', 'y'], nested: { n: 1.5, ok: true, none: null }, text: 'é😀<&>' };
      await store.set({ key: 'doc', value: json(value) });
      const got = await store.get({ key: 'doc' });
      assert.deepEqual(JSON.parse(text(got?.value)), value);
      const client = await adminClient();
      try {
        const row = await client.query(`SELECT isbinary, value->'nested'->>'n' AS n FROM ${table} WHERE key = 'doc'`);
        assert.deepEqual(row.rows[0], { isbinary: false, n: '1.5' });
      } finally {
        await client.end();
      }
    });

    it('keeps JSON that jsonb refuses (\\u0000, lone surrogates) byte for byte as binary', async () => {
      for (const [index, raw] of ['"a\\u0000b"', '"\\ud800"', '{"x":"\\udc00y"}'].entries()) {
        const bytes = new Uint8Array(Buffer.from(raw));
        await store.set({ key: `unsafe-${index}`, value: bytes });
        assert.equal(text((await store.get({ key: `unsafe-${index}` }))?.value), raw);
      }
      // A well-formed pair is real JSON and is stored as a document.
      await store.set({ key: 'pair', value: new Uint8Array(Buffer.from('"\\ud83d\\ude00"')) });
      assert.equal(JSON.parse(text((await store.get({ key: 'pair' }))?.value)), '😀');
    });

    it('tells an invalid ETag (not a 32-bit number) from a mismatched one, as Dapr does', async () => {
      await store.set({ key: 'etag', value: json(1) });
      const etag = (await store.get({ key: 'etag' }))?.etag;
      assert.match(etag ?? '', /^\d+$/);
      await assert.rejects(store.set({ key: 'etag', value: json(2), etag: '4294967296' }), EtagInvalidError);
      await assert.rejects(store.set({ key: 'etag', value: json(2), etag: '-1' }), EtagInvalidError);
      await assert.rejects(store.delete({ key: 'etag', etag: 'abc' }), EtagInvalidError);
      await assert.rejects(store.set({ key: 'etag', value: json(2), etag: String(Number(etag) + 1) }), EtagMismatchError);
      await store.set({ key: 'etag', value: json(3), etag: `00${etag}` });
      assert.equal(text((await store.get({ key: 'etag' }))?.value), '3');
    });

    it('an expired row is invisible, can be first-written again, and is removed by the clean-up', async () => {
      const client = await adminClient();
      try {
        await store.set({ key: 'old', value: json('x'), metadata: { ttlInSeconds: '100' } });
        await client.query(`UPDATE ${table} SET expiredate = now() - interval '1 minute' WHERE key = 'old'`);
        assert.equal(await store.get({ key: 'old' }), undefined);
        await assert.rejects(store.set({ key: 'old', value: json('y'), etag: '1' }), EtagMismatchError);
        await store.set({ key: 'old', value: json('y'), options: { concurrency: 'first-write' } });
        assert.equal(text((await store.get({ key: 'old' }))?.value), '"y"');
        await store.set({ key: 'gone', value: json('z'), metadata: { ttlInSeconds: '100' } });
        await client.query(`UPDATE ${table} SET expiredate = now() - interval '1 minute' WHERE key = 'gone'`);
        assert.ok(((await store.cleanupExpired()) ?? 0) >= 1, 'the first clean-up deletes');
        const left = await client.query(`SELECT count(*)::int AS n FROM ${table} WHERE key = 'gone'`);
        assert.equal(left.rows[0].n, 0);
        assert.equal(await store.cleanupExpired(), undefined, 'a second clean-up within the interval is skipped');
      } finally {
        await client.end();
      }
    });

    it('writes Dapr\'s metadata table: migration level and lock rows', async () => {
      const client = await adminClient();
      try {
        const rows = await client.query(`SELECT key, value FROM ${metadataTable} ORDER BY key`);
        assert.deepEqual(rows.rows.filter((row) => row.key !== 'last-cleanup'), [{ key: 'lock', value: 'lock' }, { key: 'migrations', value: '2' }]);
        const columns = await client.query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`, [table]);
        assert.deepEqual(columns.rows.map((row) => `${row.column_name} ${row.data_type}`), [
          'key text', 'value jsonb', 'isbinary boolean', 'insertdate timestamp with time zone',
          'updatedate timestamp with time zone', 'expiredate timestamp with time zone',
        ]);
      } finally {
        await client.end();
      }
    });

    it('two stores started at once on a new table both come up (migration lock)', async () => {
      // Many pairs: the two CREATE TABLE IF NOT EXISTS collide only now and then, and then fail in one
      // of several ways (a catalog unique violation, the row type existing, the table existing).
      for (let pair = 0; pair < 40; pair++) {
        const tableName = uniqueTable('race');
        const opened = await Promise.allSettled([openStore({ tableName }), openStore({ tableName })]);
        const stores = opened.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
        try {
          const failure = opened.find((result) => result.status === 'rejected');
          if (failure) assert.fail(`pair ${pair}: ${String(failure.reason)}`);
          await stores[0]?.set({ key: 'k', value: json(pair) });
          assert.equal(text((await stores[1]?.get({ key: 'k' }))?.value), String(pair));
        } finally {
          // Closed whatever happened: an open pool would keep this file's process alive.
          await Promise.all(stores.map((store) => store.close()));
        }
      }
    });

    it('the clean-up timer runs on its interval', async () => {
      const timed = await openStore({ cleanupInterval: '1s' });
      const client = await adminClient();
      try {
        await timed.set({ key: 'soon', value: json(1), metadata: { ttlInSeconds: '1' } });
        await waitFor('the expired row to be deleted', async () => {
          const rows = await client.query(`SELECT 1 FROM ${tableOf.get(timed)?.table} WHERE key = 'soon'`);
          return rows.rowCount === 0;
        }, 10_000, 100);
      } finally {
        await client.end();
        await timed.close();
      }
    });
  });

  describe('state.postgresql init', () => {
    it('fails with a message naming the server when it cannot connect', async () => {
      const store: StateStore = new PostgresStateStore();
      await assert.rejects(
        store.init(testContext({ connectionString: 'host=127.0.0.1 port=1 user=postgres database=test connect_timeout=2' })),
        /cannot connect to PostgreSQL at postgres@127\.0\.0\.1:1\/test: .*ECONNREFUSED/,
      );
      await store.close();
    });

    it('refuses a table name that is not a plain identifier', async () => {
      const store = new PostgresStateStore();
      await assert.rejects(store.init(testContext({ connectionString: TEST_CONNECTION_STRING, tableName: 'state; DROP TABLE x' })), /invalid table name/);
    });
  });
}
