import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MetadataError } from '@outrigger/components-api';
import { runStateConformance } from '@outrigger/components-api/conformance';
import { waitFor } from '@outrigger/kit';
import { parseConnectionString, SqliteStateStore } from './index.js';
import { testContext } from './testing/context.js';

const dir = mkdtempSync(join(tmpdir(), 'outrigger-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function openStore(metadata: Record<string, string>): Promise<SqliteStateStore> {
  const store = new SqliteStateStore();
  await store.init(testContext(metadata));
  return store;
}

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text));

runStateConformance({ name: 'state.sqlite (file)', create: () => openStore({ connectionString: join(dir, 'conformance.db') }) });
runStateConformance({ name: 'state.sqlite (:memory:)', create: () => openStore({ connectionString: ':memory:' }) });

describe('state.sqlite', () => {
  it('keeps data across close and reopen', async () => {
    const file = join(dir, 'reopen.db');
    const first = await openStore({ connectionString: file });
    await first.set({ key: 'app||k', value: bytes('{"kept":true}') });
    await first.set({ key: 'app||bin', value: Uint8Array.from([0, 0xff, 0x80]) });
    const etag = (await first.get({ key: 'app||k' }))?.etag;
    await first.close();
    const second = await openStore({ connectionString: `file:${file}?_txlock=immediate` });
    const got = await second.get({ key: 'app||k' });
    assert.equal(Buffer.from(got?.value ?? []).toString(), '{"kept":true}');
    assert.equal(got?.etag, etag);
    assert.deepEqual([...((await second.get({ key: 'app||bin' }))?.value ?? [])], [0, 0xff, 0x80]);
    await second.close();
  });

  it('uses Dapr\'s table layout: JSON as text, other bytes as base64 with is_binary', async () => {
    const file = join(dir, 'layout.db');
    const store = await openStore({ connectionString: file, tableName: 'my_state', metadataTableName: 'my_meta' });
    await store.set({ key: 'json', value: bytes('{"a":1}'), metadata: { ttlInSeconds: '60' } });
    await store.set({ key: 'bin', value: Uint8Array.from([1, 2, 3]) });
    await store.close();
    const db = new Database(file, { readonly: true });
    try {
      const rows = db.prepare('SELECT key, value, is_binary, etag, expiration_time FROM my_state ORDER BY key').all();
      assert.deepEqual(rows.map((row) => ({ ...(row as object), expiration_time: typeof (row as { expiration_time: unknown }).expiration_time })), [
        { key: 'bin', value: 'AQID', is_binary: 1, etag: '2', expiration_time: 'object' },
        { key: 'json', value: '{"a":1}', is_binary: 0, etag: '1', expiration_time: 'string' },
      ]);
      assert.deepEqual(db.prepare("SELECT value FROM my_meta WHERE key = 'migrations'").get(), { value: '1' });
      // ETags come from one sequence for the whole file, kept next to Dapr's own metadata rows.
      assert.deepEqual(db.prepare("SELECT value FROM my_meta WHERE key = 'etag-sequence'").get(), { value: '2' });
    } finally {
      db.close();
    }
  });

  it('reports the offending metadata field', async () => {
    const field = async (metadata: Record<string, string>): Promise<string> => {
      const error = await new SqliteStateStore().init(testContext(metadata)).then(() => undefined, (caught: unknown) => caught);
      assert.ok(error instanceof MetadataError, `expected a MetadataError for ${JSON.stringify(metadata)}`);
      return error.field;
    };
    assert.equal(await field({}), 'connectionString');
    assert.equal(await field({ connectionString: '' }), 'connectionString');
    assert.equal(await field({ connectionString: ':memory:', tableName: 'state; DROP TABLE x' }), 'tableName');
    assert.equal(await field({ connectionString: ':memory:', timeout: '500ms' }), 'timeout');
    assert.equal(await field({ connectionString: ':memory:', busyTimeout: 'soon' }), 'busyTimeout');
    assert.equal(await field({ connectionString: ':memory:', disableWAL: 'maybe' }), 'disableWAL');
    assert.equal(await field({ connectionString: 'file:x.db?_pragma=busy_timeout(10)' }), 'connectionString');
    // Dapr's alias for the connection string.
    const aliased = await openStore({ URL: ':memory:' });
    await aliased.close();
  });

  it('decodes connection strings', () => {
    assert.deepEqual(parseConnectionString('data.db'), { filename: 'data.db', memory: false, readonly: false, pragmas: [] });
    assert.deepEqual(parseConnectionString('file:data.db?_txlock=immediate&cache=shared&mode=ro'), { filename: 'data.db', memory: false, readonly: true, pragmas: [] });
    assert.equal(parseConnectionString('file:///var/lib/a%20b.db').filename, '/var/lib/a b.db');
    assert.equal(parseConnectionString('file://localhost/var/x.db').filename, '/var/x.db');
    assert.equal(parseConnectionString('file::memory:?cache=shared').filename, ':memory:');
    assert.equal(parseConnectionString(':memory:').memory, true);
    assert.deepEqual(parseConnectionString('file:x.db?_pragma=synchronous(NORMAL)').pragmas, [['synchronous', 'NORMAL']]);
  });

  it('with cleanupInterval, deletes expired rows from the table', async () => {
    const file = join(dir, 'cleanup.db');
    const store = await openStore({ connectionString: file, cleanupInterval: '100ms' });
    await store.set({ key: 'short', value: bytes('1'), metadata: { ttlInSeconds: '1' } });
    await store.set({ key: 'kept', value: bytes('2') });
    const db = new Database(file, { readonly: true });
    try {
      const count = (key: string): number => (db.prepare('SELECT COUNT(*) AS n FROM state WHERE key = ?').get(key) as { n: number }).n;
      assert.equal(count('short'), 1);
      await waitFor('the expired row to be deleted', () => count('short') === 0, 5000, 50);
      assert.equal(count('kept'), 1);
    } finally {
      db.close();
      await store.close();
    }
  });

  it('without cleanupInterval, keeps expired rows in the table but hides them', async () => {
    const file = join(dir, 'no-cleanup.db');
    const store = await openStore({ connectionString: file });
    await store.set({ key: 'short', value: bytes('1'), metadata: { ttlInSeconds: '1' } });
    await waitFor('the row to expire', async () => (await store.get({ key: 'short' })) === undefined, 5000, 50);
    const db = new Database(file, { readonly: true });
    try {
      assert.equal((db.prepare('SELECT COUNT(*) AS n FROM state').get() as { n: number }).n, 1);
      // An overwrite takes the next value of the store's sequence, so an ETag read before expiry cannot match.
      await store.set({ key: 'short', value: bytes('2') });
      assert.equal((await store.get({ key: 'short' }))?.etag, '2');
    } finally {
      db.close();
      await store.close();
    }
  });

  it('uses WAL unless disableWAL is set', async () => {
    const wal = await openStore({ connectionString: join(dir, 'wal.db') });
    await wal.close();
    const rollback = await openStore({ connectionString: join(dir, 'rollback.db'), disableWAL: 'true' });
    await rollback.close();
    const mode = (file: string): unknown => {
      const db = new Database(join(dir, file), { readonly: true });
      try {
        return db.pragma('journal_mode', { simple: true });
      } finally {
        db.close();
      }
    };
    assert.equal(mode('wal.db'), 'wal');
    assert.equal(mode('rollback.db'), 'delete');
  });
});
