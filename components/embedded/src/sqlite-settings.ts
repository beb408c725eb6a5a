import { MetadataError, metadataValue, parseBoolean, validateMetadata, type MetadataField } from '@outrigger/components-api';
import { parseDuration } from '@outrigger/kit';

/** Dapr's `state.sqlite` metadata (components-contrib `state/sqlite/metadata.yaml`), aliases included. */
export const sqliteMetadata: readonly MetadataField[] = [
  {
    name: 'connectionString', aliases: ['url'], required: true,
    description: 'Database file: a path, a `file:` URI (`file:data.db?mode=ro`), or `:memory:` for a process-local database.',
  },
  { name: 'tableName', default: 'state', description: 'Table holding the state rows; letters, digits and underscores only.' },
  { name: 'metadataTableName', default: 'metadata', description: 'Table holding the schema version and the last cleanup time.' },
  { name: 'timeout', aliases: ['timeoutInSeconds'], kind: 'duration', default: '20s', description: 'Timeout for database operations; at least 1s.' },
  { name: 'busyTimeout', kind: 'duration', default: '2s', description: 'How long a write waits for another connection\'s lock (SQLite busy_timeout); 0 disables waiting.' },
  {
    name: 'cleanupInterval', aliases: ['cleanupIntervalInSeconds'], kind: 'duration', default: '0',
    description: 'How often rows past their TTL are deleted; 0 disables the cleanup (expired rows stay invisible either way).',
  },
  { name: 'disableWAL', kind: 'boolean', default: 'false', description: 'Use the rollback journal instead of WAL; for file systems without shared memory (network shares).' },
];

export interface SqliteSettings {
  /** What better-sqlite3 opens: a file path or `:memory:`. */
  readonly filename: string;
  readonly memory: boolean;
  readonly readonly: boolean;
  /** Extra `_pragma=name(value)` settings from the connection string, applied after ours. */
  readonly pragmas: readonly (readonly [string, string])[];
  readonly tableName: string;
  readonly metadataTableName: string;
  readonly timeoutMs: number;
  readonly busyTimeoutMs: number;
  readonly cleanupIntervalMs: number;
  readonly disableWAL: boolean;
}

/** Pragmas the store sets itself; Dapr refuses them in the connection string for the same reason. */
const FORBIDDEN_PRAGMAS = ['busy_timeout', 'journal_mode', 'foreign_keys'];

/**
 * Validates and decodes the component metadata.
 * @throws MetadataError naming the offending field.
 */
export function parseSqliteSettings(metadata: Readonly<Record<string, string>>): SqliteSettings {
  validateMetadata(sqliteMetadata, metadata);
  const value = (name: string): string | undefined => {
    const field = sqliteMetadata.find((candidate) => candidate.name === name);
    const raw = metadataValue(metadata, name, ...(field?.aliases ?? []));
    return raw === undefined || raw === '' ? field?.default : raw;
  };
  const timeoutMs = parseDuration(value('timeout') ?? '20s');
  if (timeoutMs < 1000) throw new MetadataError('timeout', "invalid value for 'timeout': must be greater than 1s");
  return {
    ...parseConnectionString(value('connectionString') ?? ''),
    tableName: identifier('tableName', value('tableName') ?? 'state'),
    metadataTableName: identifier('metadataTableName', value('metadataTableName') ?? 'metadata'),
    timeoutMs,
    // SQLite takes whole milliseconds.
    busyTimeoutMs: Math.max(0, Math.trunc(parseDuration(value('busyTimeout') ?? '2s'))),
    cleanupIntervalMs: Math.max(0, parseDuration(value('cleanupInterval') ?? '0')),
    disableWAL: parseBoolean(value('disableWAL')) ?? false,
  };
}

/** Table names are spliced into SQL, so only plain identifiers are allowed (as in Dapr). */
function identifier(field: string, name: string): string {
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new MetadataError(field, `invalid identifier: ${name}`);
  return name;
}

/**
 * Turns Dapr's connection string into what better-sqlite3 opens. Dapr passes it to a Go driver as a
 * `file:` URI; better-sqlite3 wants a plain path, so the URI is decoded and its query parameters
 * are either mapped (`mode=ro`, `mode=memory`, `immutable=1`, `_pragma`) or dropped (driver options
 * such as `_txlock`, `cache`, `_time_format`: every write here already uses BEGIN IMMEDIATE).
 */
export function parseConnectionString(raw: string): Pick<SqliteSettings, 'filename' | 'memory' | 'readonly' | 'pragmas'> {
  const text = raw.trim();
  const lower = text.toLowerCase();
  const isUri = lower.startsWith('file:');
  const body = isUri ? text.slice('file:'.length) : text;
  const queryStart = body.indexOf('?');
  let path = queryStart >= 0 ? body.slice(0, queryStart) : body;
  const params = new URLSearchParams(queryStart >= 0 ? body.slice(queryStart + 1) : '');
  if (isUri) {
    // file:///abs/path and file://localhost/abs/path carry an authority; file:rel/path does not.
    if (path.startsWith('//')) path = path.slice(path.indexOf('/', 2) >= 0 ? path.indexOf('/', 2) : path.length);
    path = decodeURIComponent(path);
  }
  const pragmas = params.getAll('_pragma').map(parsePragma);
  const memory = path === ':memory:' || params.get('mode') === 'memory';
  if (!memory && path === '') throw new MetadataError('connectionString', 'missing connection string');
  const readonly = !memory && (params.get('mode') === 'ro' || parseBoolean(params.get('immutable') ?? undefined) === true);
  return { filename: memory ? ':memory:' : path, memory, readonly, pragmas };
}

function parsePragma(text: string): readonly [string, string] {
  const match = /^([A-Za-z_]+)\(([\w.-]+)\)$/.exec(text.trim()) ?? /^([A-Za-z_]+)=([\w.-]+)$/.exec(text.trim());
  if (!match) throw new MetadataError('connectionString', `invalid option '_pragma=${text}' in the connection string`);
  const name = (match[1] as string).toLowerCase();
  if (FORBIDDEN_PRAGMAS.includes(name)) throw new MetadataError('connectionString', `found forbidden option '_pragma=${name}' in the connection string`);
  return [name, match[2] as string];
}
