import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MetadataError, type LockStore } from '@outrigger/components-api';
import { runLockConformance } from '@outrigger/components-api/conformance';
import { InMemoryLockStore, SqliteLockStore } from './index.js';
import { testContext } from './testing/context.js';

const dir = mkdtempSync(join(tmpdir(), 'outrigger-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function open<T extends LockStore>(store: T, metadata: Record<string, string> = {}): Promise<T> {
  await store.init(testContext(metadata));
  return store;
}

runLockConformance({ name: 'lock.in-memory', create: () => open(new InMemoryLockStore()) });

const shared = join(dir, 'conformance.db');
runLockConformance({
  name: 'lock.sqlite (two connections to one file)',
  create: () => open(new SqliteLockStore(), { connectionString: shared }),
  createPeer: () => open(new SqliteLockStore(), { connectionString: shared }),
});

describe('lock.sqlite', () => {
  it('stores owner and expiry in its table, in WAL mode', async () => {
    const file = join(dir, 'layout.db');
    const store = await open(new SqliteLockStore(), { connectionString: file, tableName: 'my_locks' });
    const before = Date.now();
    await store.tryLock({ resourceId: 'lock||app||r', lockOwner: 'o', expiryInSeconds: 30 });
    await store.close();
    const db = new Database(file, { readonly: true });
    try {
      const row = db.prepare('SELECT resource_id, lock_owner, expires_at FROM my_locks').get() as { resource_id: string; lock_owner: string; expires_at: number };
      assert.equal(row.resource_id, 'lock||app||r');
      assert.equal(row.lock_owner, 'o');
      assert.ok(row.expires_at >= before + 30_000 && row.expires_at <= Date.now() + 30_000, 'expiry is 30 s after the call');
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }
  });

  it('takes over a lock whose stored expiry has passed, even if another writer left it', async () => {
    const file = join(dir, 'stale.db');
    const store = await open(new SqliteLockStore(), { connectionString: file });
    const db = new Database(file);
    try {
      // A holder that crashed: its row stays, but its expiry is in the past.
      db.prepare('INSERT INTO locks (resource_id, lock_owner, expires_at) VALUES (?, ?, ?)').run('r', 'crashed', Date.now() - 1);
      assert.deepEqual(await store.tryLock({ resourceId: 'r', lockOwner: 'next', expiryInSeconds: 5 }), { success: true });
      assert.equal((db.prepare('SELECT lock_owner FROM locks WHERE resource_id = ?').get('r') as { lock_owner: string }).lock_owner, 'next');
    } finally {
      db.close();
      await store.close();
    }
  });

  it('reports the offending metadata field', async () => {
    const field = async (metadata: Record<string, string>): Promise<string> => {
      const error = await new SqliteLockStore().init(testContext(metadata)).then(() => undefined, (caught: unknown) => caught);
      assert.ok(error instanceof MetadataError, `expected a MetadataError for ${JSON.stringify(metadata)}, got ${String(error)}`);
      return error.field;
    };
    assert.equal(await field({}), 'connectionString');
    assert.equal(await field({ connectionString: ':memory:', tableName: 'x; DROP TABLE y' }), 'tableName');
    assert.equal(await field({ connectionString: ':memory:', busyTimeout: 'soon' }), 'busyTimeout');
    assert.equal(await field({ connectionString: ':memory:', keyPrefix: 'a||b' }), 'keyPrefix');
    assert.equal(await field({ connectionString: 'file:x.db?mode=ro' }), 'connectionString');
    const aliased = await open(new SqliteLockStore(), { URL: ':memory:' });
    await aliased.close();
  });
});

describe('lock.in-memory', () => {
  it('refuses a keyPrefix containing ||, as Dapr does when a lock component loads', async () => {
    await assert.rejects(new InMemoryLockStore().init(testContext({ keyPrefix: 'x||y' })), MetadataError);
  });
});
