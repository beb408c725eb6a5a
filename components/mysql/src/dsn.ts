import { readFileSync } from 'node:fs';
import { MetadataError } from '@outrigger/components-api';
import { parseDuration } from '@outrigger/kit';
import type { PoolOptions } from 'mysql2';

/** A MySQL data source name read into mysql2 options. */
export interface MysqlDsn {
  /** Connection options for mysql2 (no database: each component chooses). */
  readonly options: PoolOptions;
  /** The database named in the DSN, if any. */
  readonly database: string | undefined;
  /** Go driver `readTimeout`/`writeTimeout`, the longer one, in ms; bounds each statement. */
  readonly statementTimeoutMs: number | undefined;
  /** Session variables the Go driver sets on connect (`?time_zone=%27%2B00:00%27`), as `SET` assignments. */
  readonly sessionVariables: readonly string[];
  /** `user@host:port` (or the socket path) for messages; never the password. */
  readonly target: string;
}

/** Go driver parameters with no mysql2 meaning, or already the behaviour here; accepted and ignored. */
const IGNORED = new Set([
  'allownativepasswords', 'allowoldpasswords', 'allowallfiles', 'allowfallbacktoplaintext', 'checkconnliveness',
  'columnswithalias', 'interpolateparams', 'maxallowedpacket', 'parsetime', 'loc', 'rejectreadonly', 'serverpubkey',
  'connectionattributes', 'compress', 'allowcleartextpasswords', 'autocommit', 'timetruncate',
]);

/**
 * Reads a DSN in the go-sql-driver form Dapr documents, `user:password@tcp(host:3306)/db?param=value`,
 * including its short forms (`user@/db`, `tcp(host)`, `unix(/path/mysql.sock)`, nothing before `/`),
 * or a `mysql://user:password@host:3306/db` URL.
 * `pemPath` is used when the DSN says `tls=custom`, as in Dapr.
 * @throws MetadataError naming `field` when the text is not a DSN.
 */
export function parseMysqlDsn(text: string, field: string, pemPath?: string): MysqlDsn {
  const trimmed = text.trim();
  const parts = /^mysql:\/\//i.test(trimmed) ? urlParts(trimmed, field) : goDsnParts(trimmed, field);
  const options: PoolOptions = {
    user: parts.user ?? process.env.USER ?? 'root',
    password: parts.password ?? '',
    charset: 'utf8mb4',
    // The Go driver reports changed rows, not matched rows; mysql2 asks for matched rows unless told not to.
    flags: ['-FOUND_ROWS'],
  };
  if (parts.socketPath) options.socketPath = parts.socketPath;
  else {
    options.host = parts.host ?? '127.0.0.1';
    options.port = parts.port ?? 3306;
  }
  let statementTimeoutMs: number | undefined;
  const sessionVariables: string[] = [];
  for (const [rawKey, value] of parts.params) {
    const key = rawKey.toLowerCase();
    if (key === 'tls') options.ssl = tlsOptions(value, pemPath, field);
    else if (key === 'timeout') options.connectTimeout = duration(value, field, rawKey);
    else if (key === 'readtimeout' || key === 'writetimeout') statementTimeoutMs = Math.max(statementTimeoutMs ?? 0, duration(value, field, rawKey));
    else if (key === 'charset') options.charset = value.split(',')[0];
    else if (key === 'collation') options.charset = value;
    else if (key === 'multistatements') options.multipleStatements = value === 'true';
    else if (key === 'clientfoundrows') options.flags = value === 'true' ? ['FOUND_ROWS'] : ['-FOUND_ROWS'];
    else if (IGNORED.has(key)) continue;
    else {
      // The Go driver sends every other parameter as a session variable, its value as SQL text.
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(rawKey)) throw new MetadataError(field, `invalid parameter "${rawKey}"`);
      sessionVariables.push(`${rawKey}=${value}`);
    }
  }
  const where = options.socketPath ?? `${options.host}:${options.port}`;
  return { options, database: parts.database || undefined, statementTimeoutMs, sessionVariables, target: `${options.user}@${where}` };
}

interface DsnParts {
  user?: string;
  password?: string;
  host?: string;
  port?: number;
  socketPath?: string;
  database?: string;
  params: [string, string][];
}

/** `[user[:password]@][net[(addr)]]/dbname[?params]`, split as the Go driver does: the last `/` before `?` ends the address. */
function goDsnParts(text: string, field: string): DsnParts {
  const query = text.indexOf('?', text.lastIndexOf('/') + 1);
  const beforeQuery = query >= 0 ? text.slice(0, query) : text;
  const slash = beforeQuery.lastIndexOf('/');
  if (slash < 0) throw new MetadataError(field, 'invalid DSN: missing the slash before the database name, e.g. "root:@tcp(127.0.0.1:3306)/"');
  const parts: DsnParts = { database: decodeURIComponent(beforeQuery.slice(slash + 1)), params: [] };
  const head = beforeQuery.slice(0, slash);
  const at = head.lastIndexOf('@');
  if (at >= 0) {
    const credentials = head.slice(0, at);
    const colon = credentials.indexOf(':');
    parts.user = colon >= 0 ? credentials.slice(0, colon) : credentials;
    if (colon >= 0) parts.password = credentials.slice(colon + 1);
  }
  const address = head.slice(at + 1);
  if (address !== '') {
    const match = /^(\w+)(?:\((.*)\))?$/.exec(address);
    if (!match) throw new MetadataError(field, `invalid DSN: cannot read the network address "${address}"`);
    const [, net, addr = ''] = match;
    if (net === 'unix') parts.socketPath = addr || '/tmp/mysql.sock';
    else if (net === 'tcp' || net === 'tcp6' || net === 'tcp4') Object.assign(parts, hostPort(addr, field));
    else throw new MetadataError(field, `invalid DSN: unknown network "${net}"`);
  }
  if (query >= 0) for (const [key, value] of new URLSearchParams(text.slice(query + 1))) parts.params.push([key, value]);
  return parts;
}

function hostPort(address: string, field: string): { host?: string; port?: number } {
  if (address === '') return {};
  const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(address);
  if (!match) throw new MetadataError(field, `invalid DSN: cannot read host and port from "${address}"`);
  return { host: match[1] ?? match[2], ...(match[3] ? { port: Number(match[3]) } : {}) };
}

function urlParts(text: string, field: string): DsnParts {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new MetadataError(field, 'is not a valid mysql:// URL');
  }
  return {
    ...(url.username ? { user: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(url.hostname ? { host: url.hostname.replace(/^\[|\]$/g, '') } : {}),
    ...(url.port ? { port: Number(url.port) } : {}),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')),
    params: [...url.searchParams],
  };
}

function duration(value: string, field: string, key: string): number {
  try {
    return parseDuration(value);
  } catch {
    throw new MetadataError(field, `invalid DSN: ${key}="${value}" is not a duration`);
  }
}

/** The Go driver's `tls` values: true (verify), skip-verify and preferred (encrypt only), custom (the pemPath CA), false. */
function tlsOptions(value: string, pemPath: string | undefined, field: string): PoolOptions['ssl'] {
  switch (value) {
    case 'false':
      return undefined;
    case 'true':
      return { rejectUnauthorized: true };
    case 'skip-verify':
    case 'preferred':
      return { rejectUnauthorized: false };
    case 'custom': {
      if (!pemPath) throw new MetadataError(field, 'tls=custom needs the pemPath metadata field (the CA certificate)');
      try {
        return { ca: readFileSync(pemPath, 'utf8'), rejectUnauthorized: true };
      } catch (error) {
        throw new MetadataError('pemPath', `error reading PEM file from ${pemPath}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    default:
      throw new MetadataError(field, `invalid DSN: tls="${value}" is not true, false, skip-verify, preferred or custom`);
  }
}
