import Database from 'better-sqlite3';
import {
  lockKeyPrefixField, lockKeyPrefixStrategy, MetadataError, metadataValue, parseBoolean, UnlockStatus, validateMetadata,
  type ComponentContext, type LockStore, type MetadataField, type TryLockRequest, type TryLockResponse,
  type UnlockRequest, type UnlockResponse,
} from '@outrigger/components-api';
import { errorMessage, parseDuration, type Logger } from '@outrigger/kit';
import { parseConnectionString } from './sqlite-settings.js';
import { setJournalMode } from './sqlite-journal.js';

/** `lock.sqlite` metadata; an Outrigger component (Dapr has only `lock.redis`), named like `state.sqlite`'s fields. */
export const sqliteLockMetadata: readonly MetadataField[] = [
  {
    name: 'connectionString', aliases: ['url'], required: true,
    description: 'Database file shared by every sidecar that must see the same locks: a path or a `file:` URI. `:memory:` makes the locks process-local.',
  },
  { name: 'tableName', default: 'locks', description: 'Table holding the locks; letters, digits and underscores only.' },
  { name: 'busyTimeout', kind: 'duration', default: '2s', description: 'How long a call waits for another process\'s write lock on the file (SQLite busy_timeout).' },
  { name: 'cleanupInterval', kind: 'duration', default: '1h', description: 'How often rows of expired locks are deleted; 0 disables it (expired locks count as free either way).' },
  { name: 'disableWAL', kind: 'boolean', default: 'false', description: 'Use the rollback journal instead of WAL; for file systems without shared memory.' },
  lockKeyPrefixField,
];

interface LockRow {
  readonly lock_owner: string;
  readonly expires_at: number;
}

interface Open {
  readonly db: Database.Database;
  readonly get: Database.Statement<[string], LockRow>;
  readonly upsert: Database.Statement<[string, string, number]>;
  readonly remove: Database.Statement<[string]>;
  readonly removeExpired: Database.Statement<[number]>;
  readonly logger: Logger;
}

/**
 * `lock.sqlite`: locks in a SQLite file, so sidecars of several processes on one host share them.
 * Each call is one `BEGIN IMMEDIATE` transaction: it takes the file's write lock first, then reads
 * the current holder and compares the stored expiry (epoch ms) with the clock, so no other process
 * can take the lock between the check and the write. All sharers read the same host clock.
 */
export class SqliteLockStore implements LockStore {
  private open: Open | undefined;
  private cleanupTimer: NodeJS.Timeout | undefined;

  async init(context: ComponentContext): Promise<void> {
    validateMetadata(sqliteLockMetadata, context.metadata);
    lockKeyPrefixStrategy(context.metadata);
    const setting = (name: string): string => {
      const field = sqliteLockMetadata.find((candidate) => candidate.name === name);
      return metadataValue(context.metadata, name, ...(field?.aliases ?? [])) || (field?.default ?? '');
    };
    const { filename, readonly, memory } = parseConnectionString(setting('connectionString'));
    if (readonly) throw new MetadataError('connectionString', 'a lock store must be writable (mode=ro or immutable=1 given)');
    const table = setting('tableName');
    if (!/^[A-Za-z0-9_]+$/.test(table)) throw new MetadataError('tableName', `invalid identifier: ${table}`);
    const busyTimeoutMs = Math.max(0, Math.trunc(parseDuration(setting('busyTimeout'))));
    const db = new Database(filename, { timeout: busyTimeoutMs });
    try {
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      if (!memory) await setJournalMode(db, parseBoolean(setting('disableWAL')) ? 'DELETE' : 'WAL', busyTimeoutMs);
      db.transaction(() => {
        db.prepare(`CREATE TABLE IF NOT EXISTS ${table} (
          resource_id TEXT NOT NULL PRIMARY KEY,
          lock_owner TEXT NOT NULL,
          expires_at INTEGER NOT NULL)`).run();
      }).exclusive();
      this.open = {
        db,
        get: db.prepare(`SELECT lock_owner, expires_at FROM ${table} WHERE resource_id = ?`),
        upsert: db.prepare(`INSERT INTO ${table} (resource_id, lock_owner, expires_at) VALUES (?, ?, ?)
          ON CONFLICT (resource_id) DO UPDATE SET lock_owner = excluded.lock_owner, expires_at = excluded.expires_at`),
        remove: db.prepare(`DELETE FROM ${table} WHERE resource_id = ?`),
        removeExpired: db.prepare(`DELETE FROM ${table} WHERE expires_at <= ?`),
        logger: context.logger,
      };
    } catch (error) {
      db.close();
      throw error;
    }
    const cleanupMs = parseDuration(setting('cleanupInterval'));
    if (cleanupMs > 0) {
      this.cleanupTimer = setInterval(() => this.cleanup(), cleanupMs);
      this.cleanupTimer.unref();
    }
  }

  async close(): Promise<void> {
    clearInterval(this.cleanupTimer);
    this.cleanupTimer = undefined;
    this.open?.db.close();
    this.open = undefined;
  }

  async tryLock(request: TryLockRequest): Promise<TryLockResponse> {
    const { db, get, upsert } = this.opened();
    const success = db.transaction(() => {
      // Read the clock after the write lock is held: waiting for it may have taken a while.
      const now = Date.now();
      const row = get.get(request.resourceId);
      if (row && row.expires_at > now) return false;
      upsert.run(request.resourceId, request.lockOwner, now + request.expiryInSeconds * 1000);
      return true;
    }).immediate();
    return { success };
  }

  async unlock(request: UnlockRequest): Promise<UnlockResponse> {
    const { db, get, remove } = this.opened();
    const status = db.transaction((): UnlockStatus => {
      const row = get.get(request.resourceId);
      if (!row) return UnlockStatus.lockDoesNotExist;
      if (row.expires_at <= Date.now()) {
        remove.run(request.resourceId);
        return UnlockStatus.lockDoesNotExist;
      }
      if (row.lock_owner !== request.lockOwner) return UnlockStatus.lockBelongsToOthers;
      remove.run(request.resourceId);
      return UnlockStatus.success;
    }).immediate();
    return { status };
  }

  private cleanup(): void {
    if (!this.open) return;
    try {
      const deleted = this.open.removeExpired.run(Date.now()).changes;
      if (deleted > 0) this.open.logger.debug(`deleted ${deleted} expired locks`);
    } catch (error) {
      // A busy file must not crash the sidecar; the next tick tries again.
      this.open.logger.warn(`failed to delete expired locks: ${errorMessage(error)}`);
    }
  }

  private opened(): Open {
    if (!this.open) throw new Error('sqlite lock store is not initialised');
    return this.open;
  }
}
