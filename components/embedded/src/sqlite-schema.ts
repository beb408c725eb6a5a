import type { Database, Statement } from 'better-sqlite3';

/*
 * Schema and statements of the sqlite state store. The layout is Dapr's (components-contrib
 * `state/sqlite/sqlite_migrations.go`, migration level 1), so a database file can be moved between
 * Dapr and Outrigger; the one difference is the ETag format (see concurrency.ts), whose sequence lives in
 * an extra `etag-sequence` row of the metadata table.
 */

/** A state row as stored. `expiration_time` and `update_time` are UTC `YYYY-MM-DD HH:MM:SS.SSS` text. */
export interface StateRow {
  readonly key: string;
  readonly value: string;
  readonly is_binary: number;
  readonly etag: string;
  readonly expiration_time: string | null;
}

export interface Statements {
  /** key, now → the live row. */
  readonly getLive: Statement<[string, string], StateRow>;
  /** key → the row, expired or not. */
  readonly getAny: Statement<[string], StateRow>;
  readonly upsert: Statement<[{ key: string; value: string; isBinary: number; etag: string; expiration: string | null; now: string }]>;
  readonly delete: Statement<[string]>;
  /** prefix, now → live rows whose key starts with prefix. */
  readonly queryPrefix: Statement<[{ prefix: string; now: string }], StateRow>;
  readonly deleteExpired: Statement<[string]>;
  readonly getLastCleanup: Statement<[], { value: string }>;
  readonly setLastCleanup: Statement<[string]>;
  /** The last ETag issued by any process sharing the file; absent before the first write. */
  readonly getEtagSequence: Statement<[], { value: string }>;
  readonly setEtagSequence: Statement<[string]>;
}

/**
 * Times as text in the same shape SQLite's CURRENT_TIMESTAMP produces (plus milliseconds), so the
 * columns compare correctly as text, also against rows Dapr wrote with whole seconds.
 */
export function toSqlTime(epochMs: number): string {
  // Every get and query formats "now": calls within the same millisecond share one string.
  if (epochMs === lastSqlTime.epochMs) return lastSqlTime.text;
  const text = new Date(epochMs).toISOString().replace('T', ' ').replace('Z', '');
  lastSqlTime = { epochMs, text };
  return text;
}

let lastSqlTime = { epochMs: Number.NaN, text: '' };

export function fromSqlTime(text: string): number {
  return Date.parse(`${text.replace(' ', 'T')}Z`);
}

/**
 * Creates the tables if needed, once, even with several processes opening the file at the same time:
 * the level check and the DDL run in one EXCLUSIVE transaction, as Dapr's migrations do.
 */
export function migrate(db: Database, tableName: string, metadataTableName: string): void {
  db.transaction(() => {
    db.prepare(`CREATE TABLE IF NOT EXISTS ${metadataTableName} (key text NOT NULL PRIMARY KEY, value text NOT NULL)`).run();
    const row = db.prepare(`SELECT value FROM ${metadataTableName} WHERE key = 'migrations'`).get() as { value: string } | undefined;
    const level = row ? Number(row.value) : 0;
    if (level >= 1) return;
    db.prepare(`CREATE TABLE IF NOT EXISTS ${tableName} (
      key TEXT NOT NULL PRIMARY KEY,
      value TEXT NOT NULL,
      is_binary BOOLEAN NOT NULL,
      etag TEXT NOT NULL,
      expiration_time TIMESTAMP DEFAULT NULL,
      update_time TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)`).run();
    db.prepare(`REPLACE INTO ${metadataTableName} (key, value) VALUES ('migrations', '1')`).run();
  }).exclusive();
}

export function prepareStatements(db: Database, table: string, metadataTable: string): Statements {
  const live = '(expiration_time IS NULL OR expiration_time > ?)';
  return {
    getLive: db.prepare(`SELECT key, value, is_binary, etag, expiration_time FROM ${table} WHERE key = ? AND ${live}`),
    getAny: db.prepare(`SELECT key, value, is_binary, etag, expiration_time FROM ${table} WHERE key = ?`),
    upsert: db.prepare(`INSERT INTO ${table} (key, value, is_binary, etag, expiration_time, update_time)
      VALUES (@key, @value, @isBinary, @etag, @expiration, @now)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, is_binary = excluded.is_binary, etag = excluded.etag,
        expiration_time = excluded.expiration_time, update_time = excluded.update_time`),
    delete: db.prepare(`DELETE FROM ${table} WHERE key = ?`),
    // Not LIKE: it ignores ASCII case, and `app||` must not see `APP||`. The range start lets the
    // primary key index skip everything before the prefix; substr() then makes the match exact.
    queryPrefix: db.prepare(`SELECT key, value, is_binary, etag, expiration_time FROM ${table}
      WHERE key >= @prefix AND substr(key, 1, length(@prefix)) = @prefix
        AND (expiration_time IS NULL OR expiration_time > @now)`),
    deleteExpired: db.prepare(`DELETE FROM ${table} WHERE expiration_time IS NOT NULL AND expiration_time <= ?`),
    getLastCleanup: db.prepare(`SELECT value FROM ${metadataTable} WHERE key = 'last-cleanup'`),
    setLastCleanup: db.prepare(`REPLACE INTO ${metadataTable} (key, value) VALUES ('last-cleanup', ?)`),
    getEtagSequence: db.prepare(`SELECT value FROM ${metadataTable} WHERE key = 'etag-sequence'`),
    setEtagSequence: db.prepare(`REPLACE INTO ${metadataTable} (key, value) VALUES ('etag-sequence', ?)`),
  };
}

/**
 * Deletes expired rows unless another process sharing the file did so less than an interval ago
 * (Dapr coordinates its sidecars the same way, through the `last-cleanup` metadata row).
 * @returns the number of rows deleted.
 */
export function cleanupExpired(db: Database, statements: Statements, intervalMs: number, now = Date.now()): number {
  return db.transaction(() => {
    const last = statements.getLastCleanup.get();
    // 100 ms of slack, as in Dapr, so timer jitter does not skip every other run.
    if (last && now - fromSqlTime(last.value) < intervalMs - 100) return 0;
    statements.setLastCleanup.run(toSqlTime(now));
    return statements.deleteExpired.run(toSqlTime(now)).changes;
  }).immediate();
}
