import type { Database, Statement } from 'better-sqlite3';
import type { ConfigurationItem } from '@outrigger/components-api';

/*
 * Schema of `configuration.sqlite`. Users write the items table with any SQLite client; triggers
 * (stored in the file, so they run in whichever program writes) append each changed key to a change
 * log whose AUTOINCREMENT `seq` is the store's monotonically increasing change counter. Subscribers
 * poll the log for `seq` past the last one they saw. The triggers use only functions every SQLite
 * version has (julianday, strftime), since an old `sqlite3` CLI may be the one running them.
 */

/** A row of the items table as read. */
export interface ItemRow {
  readonly key: string;
  readonly value: string | null;
  readonly version: string | null;
  readonly metadata: string | null;
}

export interface ChangeRow {
  readonly seq: number;
  readonly key: string;
}

export interface ConfigurationStatements {
  readonly getAll: Statement<[], ItemRow>;
  /** JSON array of keys → their rows. */
  readonly getKeys: Statement<[string], ItemRow>;
  readonly getOne: Statement<[string], ItemRow>;
  /** The change counter: the last `seq` handed out, 0 before the first change. */
  readonly lastSeq: Statement<[], { seq: number }>;
  /** seq, limit → changes after seq, oldest first. */
  readonly changesAfter: Statement<[number, number], ChangeRow>;
  /** The oldest change still in the log, to notice a gap left by pruning. */
  readonly firstSeq: Statement<[], { seq: number | null }>;
  /** epoch ms → rows deleted. */
  readonly pruneBefore: Statement<[number]>;
}

const nowMs = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
const nowIso = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/** The change log table of an items table. */
export function changesTable(table: string): string {
  return `${table}_changes`;
}

/**
 * Creates the items table, the change log and the triggers if missing, in one EXCLUSIVE transaction
 * so several processes opening a new file at once do not race.
 */
export function migrateConfiguration(db: Database, table: string): void {
  const changes = changesTable(table);
  const logChange = (key: string) => `INSERT INTO ${changes} (key, changed_at) VALUES (${key}, ${nowMs});`;
  db.transaction(() => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS ${table} (
        key TEXT NOT NULL PRIMARY KEY,
        value TEXT NOT NULL DEFAULT '',
        version TEXT NOT NULL DEFAULT '',
        metadata TEXT NOT NULL DEFAULT '{}',
        updated_at TEXT NOT NULL DEFAULT (${nowIso}));
      CREATE TABLE IF NOT EXISTS ${changes} (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL,
        changed_at INTEGER NOT NULL);
      CREATE TRIGGER IF NOT EXISTS ${table}_log_insert AFTER INSERT ON ${table} BEGIN ${logChange('NEW.key')} END;
      CREATE TRIGGER IF NOT EXISTS ${table}_log_delete AFTER DELETE ON ${table} BEGIN ${logChange('OLD.key')} END;
      CREATE TRIGGER IF NOT EXISTS ${table}_log_update AFTER UPDATE ON ${table} BEGIN
        ${logChange('NEW.key')}
        INSERT INTO ${changes} (key, changed_at) SELECT OLD.key, ${nowMs} WHERE OLD.key <> NEW.key;
        -- Stamps updated_at unless the writer set it. The 'IS NOT' guard matches no row once stamped,
        -- so even with recursive_triggers on this cannot fire itself more than once.
        UPDATE ${table} SET updated_at = ${nowIso}
          WHERE key = NEW.key AND NEW.updated_at IS OLD.updated_at AND updated_at IS NOT ${nowIso};
      END;`);
  }).exclusive();
}

export function prepareConfigurationStatements(db: Database, table: string): ConfigurationStatements {
  const changes = changesTable(table);
  const columns = 'key, value, version, metadata';
  return {
    getAll: db.prepare(`SELECT ${columns} FROM ${table}`),
    getKeys: db.prepare(`SELECT ${columns} FROM ${table} WHERE key IN (SELECT value FROM json_each(?))`),
    getOne: db.prepare(`SELECT ${columns} FROM ${table} WHERE key = ?`),
    lastSeq: db.prepare(`SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '${changes}'), 0) AS seq`),
    changesAfter: db.prepare(`SELECT seq, key FROM ${changes} WHERE seq > ? ORDER BY seq LIMIT ?`),
    firstSeq: db.prepare(`SELECT MIN(seq) AS seq FROM ${changes}`),
    pruneBefore: db.prepare(`DELETE FROM ${changes} WHERE changed_at < ?`),
  };
}

/**
 * A row as an item. Metadata is a JSON object; non-string values are turned into text, since
 * Dapr's items carry string metadata only.
 * @throws Error naming the key when the metadata column is not a JSON object.
 */
export function toItem(row: ItemRow): ConfigurationItem {
  return { value: row.value ?? '', version: row.version ?? '', metadata: parseMetadata(row.key, row.metadata) };
}

function parseMetadata(key: string, text: string | null): Record<string, string> {
  if (text === null || text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`metadata of key "${key}" is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`metadata of key "${key}" is not a JSON object`);
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) metadata[name] = typeof value === 'string' ? value : JSON.stringify(value);
  return metadata;
}
