import { MetadataError } from '@outrigger/components-api';

/** What Dapr's PostgreSQL components read from a connection string, in node-postgres terms. */
export interface PostgresConnection {
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  /** libpq's sslmode; undefined when the string does not say. */
  sslmode?: string;
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
  /** Seconds, from `connect_timeout`. */
  connectTimeoutSeconds?: number;
  applicationName?: string;
  /** Server settings passed at connect time (`options=-c x=y`, `search_path=...`). */
  options?: string;
  /** pgx's `pool_max_conns`. */
  poolMaxConns?: number;
}

/** Fields that can override the connection string, as Dapr's PostgreSQL components accept them. */
export interface ConnectionOverrides {
  readonly host?: string | undefined;
  readonly hostaddr?: string | undefined;
  readonly port?: string | undefined;
  readonly database?: string | undefined;
  readonly user?: string | undefined;
  readonly password?: string | undefined;
  readonly sslRootCert?: string | undefined;
}

/** Keys pgx understands that have no node-postgres meaning; accepted and ignored. */
const IGNORED_KEYS = new Set([
  'pool_min_conns', 'pool_max_conn_lifetime', 'pool_max_conn_lifetime_jitter', 'pool_max_conn_idle_time',
  'pool_health_check_period', 'statement_cache_capacity', 'description_cache_capacity', 'default_query_exec_mode',
  'target_session_attrs', 'min_read_buffer_size', 'servicefile', 'passfile', 'krbsrvname', 'krbspn', 'sslsni',
  'sslpassword', 'sslnegotiation', 'service',
]);

/**
 * Reads a PostgreSQL connection string in either form Dapr accepts: a libpq key/value DSN
 * (`host=localhost user=postgres password='se cret' port=5432 database=test`) or a URL
 * (`postgres://user:pass@host:5432/db?sslmode=disable`). Fields given in `overrides` win, as in Dapr.
 * @throws MetadataError (field `connectionString`) for text that is neither.
 */
export function parseConnectionString(text: string, overrides: ConnectionOverrides = {}): PostgresConnection {
  const trimmed = text.trim();
  const pairs = /^postgres(ql)?:\/\//i.test(trimmed) ? urlPairs(trimmed) : dsnPairs(trimmed);
  const connection: PostgresConnection = {};
  for (const [key, value] of pairs) applyPair(connection, key, value);
  applyOverrides(connection, overrides);
  return connection;
}

function applyOverrides(connection: PostgresConnection, overrides: ConnectionOverrides): void {
  if (overrides.host) connection.host = overrides.host;
  // libpq's hostaddr is the numeric address used instead of a DNS lookup; node-postgres has only one host field.
  if (overrides.hostaddr) connection.host = overrides.hostaddr;
  if (overrides.port) connection.port = portNumber(overrides.port);
  if (overrides.database) connection.database = overrides.database;
  if (overrides.user) connection.user = overrides.user;
  if (overrides.password) connection.password = overrides.password;
  if (overrides.sslRootCert) connection.sslrootcert = overrides.sslRootCert;
}

function applyPair(connection: PostgresConnection, key: string, value: string): void {
  switch (key) {
    case 'host':
      if (value.includes(',')) throw new MetadataError('connectionString', `several hosts (${value}) are not supported; name one host`);
      connection.host = value;
      return;
    case 'hostaddr':
      connection.host = value;
      return;
    case 'port':
      connection.port = portNumber(value);
      return;
    case 'dbname':
    case 'database':
      connection.database = value;
      return;
    case 'user':
      connection.user = value;
      return;
    case 'password':
      connection.password = value;
      return;
    case 'sslmode':
    case 'sslrootcert':
    case 'sslcert':
    case 'sslkey':
      connection[key] = value;
      return;
    case 'connect_timeout':
      if (!/^\d+$/.test(value)) throw new MetadataError('connectionString', `connect_timeout "${value}" is not a whole number of seconds`);
      connection.connectTimeoutSeconds = Number(value);
      return;
    case 'application_name':
    case 'fallback_application_name':
      connection.applicationName ??= value;
      return;
    case 'options':
      connection.options = [connection.options, value].filter(Boolean).join(' ');
      return;
    case 'pool_max_conns':
      if (!/^\d+$/.test(value)) throw new MetadataError('connectionString', `pool_max_conns "${value}" is not a number`);
      connection.poolMaxConns = Number(value);
      return;
    default:
      if (IGNORED_KEYS.has(key)) return;
      // pgx sends any other key as a run-time parameter (search_path, TimeZone, ...); so does this.
      if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(key)) throw new MetadataError('connectionString', `invalid key "${key}"`);
      connection.options = [connection.options, `-c ${key}=${value.replace(/([\s\\])/g, '\\$1')}`].filter(Boolean).join(' ');
  }
}

function portNumber(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) throw new MetadataError('connectionString', `invalid port "${text}"`);
  return port;
}

/** libpq's key/value syntax: `key = value` pairs split by whitespace; values may be single-quoted with `\'` and `\\`. */
function dsnPairs(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  let index = 0;
  const skipSpace = () => {
    while (index < text.length && /\s/.test(text[index] as string)) index += 1;
  };
  for (;;) {
    skipSpace();
    if (index >= text.length) break;
    const keyStart = index;
    while (index < text.length && text[index] !== '=' && !/\s/.test(text[index] as string)) index += 1;
    const key = text.slice(keyStart, index);
    skipSpace();
    if (text[index] !== '=' || key === '') {
      throw new MetadataError('connectionString', `expected key=value pairs (libpq form) or a postgres:// URL, got "${key}" without "="`);
    }
    index += 1;
    skipSpace();
    let value = '';
    if (text[index] === "'") {
      index += 1;
      for (;;) {
        if (index >= text.length) throw new MetadataError('connectionString', `unterminated quoted value for "${key}"`);
        const char = text[index] as string;
        if (char === "'") break;
        if (char === '\\' && index + 1 < text.length) index += 1;
        value += text[index];
        index += 1;
      }
      index += 1;
    } else {
      while (index < text.length && !/\s/.test(text[index] as string)) {
        if (text[index] === '\\' && index + 1 < text.length) index += 1;
        value += text[index];
        index += 1;
      }
    }
    pairs.push([key, value]);
  }
  return pairs;
}

/** URL form: user, password, host, port and database from the URL's parts; every query parameter as a key/value pair. */
function urlPairs(text: string): [string, string][] {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new MetadataError('connectionString', 'is not a valid postgres:// URL (several hosts in one URL are not supported)');
  }
  const pairs: [string, string][] = [];
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host) pairs.push(['host', decodeURIComponent(host)]);
  if (url.port) pairs.push(['port', url.port]);
  if (url.username) pairs.push(['user', decodeURIComponent(url.username)]);
  if (url.password) pairs.push(['password', decodeURIComponent(url.password)]);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database) pairs.push(['database', database]);
  for (const [key, value] of url.searchParams) pairs.push([key, value]);
  return pairs;
}
