import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { ConnectionOptions } from 'node:tls';
import { MetadataError, metadataValue, parseBoolean, type MetadataField } from '@outrigger/components-api';
import { parseDuration } from '@outrigger/kit';
import type { PoolConfig } from 'pg';
import { parseConnectionString, type PostgresConnection } from './connection-string.js';

/**
 * The connection fields every Dapr PostgreSQL component shares (components-contrib
 * `common/authentication/postgresql`), plus `timeout`. Azure AD and AWS IAM sign-in are refused at init.
 */
export const postgresConnectionFields: readonly MetadataField[] = [
  {
    name: 'connectionString', aliases: ['url'], required: true,
    description: 'libpq key/value string (`host=localhost user=postgres port=5432 database=test`) or URL (`postgres://user:pass@host:5432/db?sslmode=disable`).',
  },
  { name: 'timeout', aliases: ['timeoutInSeconds'], kind: 'duration', default: '20s', description: 'Timeout for connecting and for every database operation; at least 1s. A bare number means seconds.' },
  { name: 'maxConns', kind: 'integer', default: '0', description: 'Most pooled connections; 0 or less: the greater of 4 and the number of CPUs.' },
  { name: 'connectionMaxIdleTime', kind: 'duration', description: 'How long an unused pooled connection stays open; default 30m.' },
  {
    name: 'queryExecMode', kind: { oneOf: ['', 'cache_statement', 'cache_describe', 'describe_exec', 'exec', 'simple_protocol'] },
    description: 'Accepted for compatibility; node-postgres always sends unnamed statements, which work behind PgBouncer too.',
  },
  { name: 'host', description: 'Overrides the host of the connection string.' },
  { name: 'hostaddr', description: 'Overrides the host with a numeric address.' },
  { name: 'port', kind: 'integer', description: 'Overrides the port of the connection string.' },
  { name: 'database', description: 'Overrides the database of the connection string.' },
  { name: 'user', description: 'Overrides the user of the connection string.' },
  { name: 'password', description: 'Overrides the password of the connection string.' },
  { name: 'sslRootCert', description: 'Path of a CA certificate file; makes the connection verify the server certificate.' },
  { name: 'useAzureAD', kind: 'boolean', default: 'false', description: 'Not supported by Outrigger: init fails when true.' },
  { name: 'useAWSIAM', kind: 'boolean', default: 'false', description: 'Not supported by Outrigger: init fails when true.' },
];

export interface PoolSettings {
  readonly pool: PoolConfig;
  readonly timeoutMs: number;
  /** `user@host:port/database`, for error messages; never the password. */
  readonly target: string;
}

/** The metadata value of a field (its aliases included), or its default; empty counts as absent. */
export function fieldValue(fields: readonly MetadataField[], metadata: Readonly<Record<string, string>>, name: string): string | undefined {
  const field = fields.find((candidate) => candidate.name === name);
  const raw = metadataValue(metadata, name, ...(field?.aliases ?? []));
  return raw === undefined || raw === '' ? field?.default : raw;
}

/**
 * Builds the node-postgres pool configuration from component metadata. The validation of field kinds
 * has already run (the registry's metadata list); this checks what the kinds cannot say.
 * @throws MetadataError naming the field.
 */
export function readPoolSettings(fields: readonly MetadataField[], metadata: Readonly<Record<string, string>>): PoolSettings {
  const value = (name: string) => fieldValue(fields, metadata, name);
  for (const flag of ['useAzureAD', 'useAWSIAM']) {
    if (parseBoolean(value(flag)) === true) throw new MetadataError(flag, 'cloud identity sign-in is not supported by Outrigger; put the credentials in connectionString');
  }
  const timeoutMs = parseDuration(value('timeout') ?? '20s');
  if (timeoutMs < 1000) throw new MetadataError('timeout', "invalid value for 'timeout': must be greater than 1s");
  const connection = parseConnectionString(value('connectionString') ?? '', {
    host: value('host'), hostaddr: value('hostaddr'), port: value('port'), database: value('database'),
    user: value('user'), password: value('password'), sslRootCert: value('sslRootCert'),
  });
  const maxConns = Number(value('maxConns') ?? '0');
  const idle = value('connectionMaxIdleTime');
  const max = maxConns > 1 ? maxConns : connection.poolMaxConns ?? Math.max(4, availableParallelism());
  const pool: PoolConfig = {
    host: connection.host,
    port: connection.port,
    database: connection.database,
    user: connection.user,
    password: connection.password,
    ssl: tlsOptions(connection),
    max,
    idleTimeoutMillis: idle ? parseDuration(idle) : 30 * 60_000,
    connectionTimeoutMillis: connection.connectTimeoutSeconds ? connection.connectTimeoutSeconds * 1000 : timeoutMs,
    // The server cancels a statement running longer than the timeout; the client gives up a little later,
    // so a server that stops answering altogether cannot hold a caller forever.
    statement_timeout: timeoutMs,
    query_timeout: timeoutMs + 2000,
    keepAlive: true,
    ...(connection.applicationName ? { application_name: connection.applicationName } : { application_name: 'outrigger' }),
    ...(connection.options ? { options: connection.options } : {}),
  };
  return { pool, timeoutMs, target: describeTarget(connection) };
}

function describeTarget(connection: PostgresConnection): string {
  const user = connection.user ?? process.env.PGUSER ?? process.env.USER ?? '';
  const host = connection.host ?? process.env.PGHOST ?? 'localhost';
  const port = connection.port ?? (process.env.PGPORT ? Number(process.env.PGPORT) : 5432);
  const database = connection.database ?? process.env.PGDATABASE ?? user;
  return `${user ? `${user}@` : ''}${host}:${port}/${database}`;
}

/** libpq's sslmode in node's TLS terms. `prefer` and `allow` connect without TLS: node-postgres cannot fall back. */
function tlsOptions(connection: PostgresConnection): false | ConnectionOptions {
  const mode = connection.sslmode ?? (connection.sslrootcert ? 'verify-ca' : 'disable');
  if (!['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'].includes(mode)) {
    throw new MetadataError('connectionString', `invalid sslmode "${mode}"`);
  }
  if (mode === 'disable' || mode === 'allow' || mode === 'prefer') return false;
  const options: ConnectionOptions = {};
  if (connection.sslcert) options.cert = readPem(connection.sslcert);
  if (connection.sslkey) options.key = readPem(connection.sslkey);
  // libpq: `require` with a root certificate behaves as verify-ca.
  const verifyChain = mode !== 'require' || connection.sslrootcert !== undefined;
  if (connection.sslrootcert) options.ca = readPem(connection.sslrootcert);
  options.rejectUnauthorized = verifyChain;
  if (mode !== 'verify-full') options.checkServerIdentity = () => undefined;
  return options;
}

function readPem(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new MetadataError('connectionString', `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
