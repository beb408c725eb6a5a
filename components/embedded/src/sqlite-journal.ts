import type Database from 'better-sqlite3';
import { delay } from '@outrigger/kit';

/**
 * Sets a database's journal mode, trying again while SQLite answers SQLITE_BUSY, until `busyTimeoutMs`
 * has passed. Switching a new file to WAL needs an exclusive lock, and while another process holds the
 * write lock (its own start-up migration, say) SQLite refuses at once rather than through the busy
 * timeout; two sidecars starting on one new file then failed one start now and then.
 */
export async function setJournalMode(db: Database.Database, mode: 'WAL' | 'DELETE' | 'MEMORY', busyTimeoutMs: number): Promise<void> {
  const until = Date.now() + busyTimeoutMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    try {
      db.pragma(`journal_mode = ${mode}`);
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() >= until) throw error;
    }
    await delay(pause);
  }
}
