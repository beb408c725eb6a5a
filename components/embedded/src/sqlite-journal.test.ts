import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { SqliteStateStore } from './sqlite.js';
import { setJournalMode } from './sqlite-journal.js';
import { testContext } from './testing/context.js';

const holderPath = fileURLToPath(new URL('./testing/write-lock-holder.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'outrigger-journal-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Another process holding the write lock on a new file; `release()` lets it commit and waits for its exit. */
async function holdWriteLock(file: string): Promise<{ release: () => Promise<void> }> {
  const child = spawn(process.execPath, [holderPath, file], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  after(() => { child.kill('SIGKILL'); });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    void exited.then((code) => reject(new Error(`the lock holder exited with ${String(code)} before holding the lock`)));
  });
  return {
    release: async () => {
      child.stdin.write('go\n');
      assert.equal(await exited, 0);
    },
  };
}

describe('sqlite journal mode', () => {
  it('waits for another process\'s write lock on a new file instead of failing the store\'s start', async () => {
    const file = join(dir, 'held.db');
    const holder = await holdWriteLock(file);
    const store = new SqliteStateStore();
    // The first attempt meets the lock before init yields; SQLite refuses the switch to WAL at once.
    const starting = store.init(testContext({ connectionString: file, busyTimeout: '10s' }));
    await holder.release();
    await starting;
    await store.set({ key: 'k', value: new Uint8Array([1]) });
    await store.close();
    const check = new Database(file, { readonly: true });
    assert.equal(check.pragma('journal_mode', { simple: true }), 'wal');
    check.close();
  });

  it('gives up with SQLITE_BUSY once the busy timeout has passed', async () => {
    const file = join(dir, 'kept.db');
    const holder = await holdWriteLock(file);
    const db = new Database(file);
    try {
      await assert.rejects(setJournalMode(db, 'WAL', 150), (error: unknown) => (error as { code?: string }).code === 'SQLITE_BUSY');
    } finally {
      db.close();
      await holder.release();
    }
  });
});
