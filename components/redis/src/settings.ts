import { MetadataError, metadataValue, parseBoolean, validateMetadata, type MetadataField } from '@outrigger/components-api';
import { parseDuration } from '@outrigger/kit';

/*
 * The connection settings every Redis component shares, with Dapr's field names
 * (components-contrib `common/component/redis/settings.go`) and the defaults Dapr applies per block.
 */

/** Which Dapr block a settings object is for; Dapr's defaults differ between them. */
export type RedisBlock = 'state' | 'pubsub' | 'bindings' | 'lock' | 'configuration';

/** The connection fields of every Redis component, as Dapr names them. */
export const redisConnectionMetadata: readonly MetadataField[] = [
  { name: 'redisHost', required: true, description: 'Address of the Redis server, `host:port` (the port may instead come from `redisPort`). With `failover`, the Sentinel address(es), comma-separated.' },
  { name: 'redisPort', kind: 'integer', description: 'Port, when `redisHost` has none; must agree with the port in `redisHost` if both are given. Default 6379.' },
  { name: 'redisUsername', description: 'ACL user name (Redis 6 and later).' },
  { name: 'redisPassword', description: 'Password; use a `secretKeyRef`.' },
  { name: 'redisDB', kind: 'integer', default: '0', description: 'Database selected after connecting.' },
  { name: 'redisType', kind: { oneOf: ['node', 'cluster'] }, default: 'node', description: '`node` only: `cluster` is refused at init (not supported yet).' },
  { name: 'enableTLS', kind: 'boolean', default: 'false', description: 'Connect with TLS; the server certificate is verified unless `insecureSkipTLSVerify`.' },
  { name: 'insecureSkipTLSVerify', kind: 'boolean', default: 'false', description: 'Skip TLS certificate verification (testing only).' },
  { name: 'clientCert', description: 'PEM client certificate for mutual TLS (with `clientKey`).' },
  { name: 'clientKey', description: 'PEM private key of `clientCert`.' },
  { name: 'failover', kind: 'boolean', default: 'false', description: 'Connect through Redis Sentinel: `redisHost` names the Sentinel(s), `sentinelMasterName` the master.' },
  { name: 'sentinelMasterName', description: 'Master name known to Sentinel; required with `failover`.' },
  { name: 'sentinelUsername', description: 'User name for the Sentinels, when they require authentication.' },
  { name: 'sentinelPassword', description: 'Password for the Sentinels, when they require authentication.' },
  { name: 'redisMaxRetries', aliases: ['maxRetries'], kind: 'integer', default: '3', description: 'Connection attempts at init before it fails, and reconnections a command already sent waits for before it fails. `-1` or `0`: none.' },
  { name: 'redisMinRetryInterval', kind: 'duration', description: 'First back-off between reconnection attempts (a bare number is milliseconds). Default 8ms; 2s for state and lock stores, as in Dapr.' },
  { name: 'redisMaxRetryInterval', aliases: ['maxRetryBackoff'], kind: 'duration', description: 'Largest back-off between reconnection attempts. Default 512ms; 2s for configuration stores.' },
  { name: 'dialTimeout', kind: 'duration', default: '5s', description: 'Timeout for establishing a connection.' },
  { name: 'readTimeout', kind: 'duration', default: '3s', description: 'A command with no answer within this time fails (`-1`: no timeout). Also the block time of the stream reads of `pubsub.redis`.' },
  { name: 'writeTimeout', kind: 'duration', description: 'Accepted for Dapr compatibility; a command fails after the larger of `readTimeout` and `writeTimeout`. Default `readTimeout`.' },
  { name: 'poolSize', kind: 'integer', description: 'Accepted and ignored: one multiplexed connection carries every command (plus one per stream subscription).' },
  { name: 'poolTimeout', kind: 'duration', description: 'Accepted and ignored (no pool).' },
  { name: 'minIdleConns', kind: 'integer', description: 'Accepted and ignored (no pool).' },
  { name: 'maxConnAge', kind: 'duration', description: 'Accepted and ignored (no pool).' },
  { name: 'idleTimeout', kind: 'duration', description: 'Accepted and ignored (no pool).' },
  { name: 'idleCheckFrequency', kind: 'duration', description: 'Accepted and ignored (no pool).' },
  { name: 'useEntraID', aliases: ['useAzureAD'], kind: 'boolean', default: 'false', description: 'Microsoft Entra ID authentication: not supported, refused at init when true.' },
  { name: 'useOIDC', kind: 'boolean', default: 'false', description: 'OIDC private_key_jwt authentication: not supported, refused at init when true.' },
];

/** Everything needed to open a connection. */
export interface RedisConnectionSettings {
  readonly host: string;
  readonly port: number;
  /** Extra Sentinel addresses (with `failover`); `host`/`port` is the first one then. */
  readonly sentinels: readonly { readonly host: string; readonly port: number }[];
  readonly sentinelMasterName: string | undefined;
  readonly sentinelUsername: string | undefined;
  readonly sentinelPassword: string | undefined;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly db: number;
  readonly tls: { readonly rejectUnauthorized: boolean; readonly cert?: string; readonly key?: string } | undefined;
  readonly maxRetries: number;
  readonly minRetryIntervalMs: number;
  readonly maxRetryIntervalMs: number;
  readonly dialTimeoutMs: number;
  /** undefined: no timeout (`readTimeout: -1`). */
  readonly commandTimeoutMs: number | undefined;
  /** The block time of stream reads. */
  readonly readTimeoutMs: number;
  /** `host:port`, for messages. */
  readonly address: string;
}

/** Reads one field by name or alias; empty counts as absent. */
export function field(metadata: Readonly<Record<string, string>>, fields: readonly MetadataField[], name: string): string | undefined {
  const spec = fields.find((candidate) => candidate.name === name);
  const value = metadataValue(metadata, name, ...(spec?.aliases ?? []))?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Dapr's Redis durations: a bare integer is milliseconds, a negative one means "disabled" (kept as -1),
 * anything else is a Go duration. @throws MetadataError naming the field.
 */
export function redisDuration(name: string, raw: string | undefined, fallbackMs: number): number {
  if (raw === undefined) return fallbackMs;
  if (/^-?\d+$/.test(raw)) return Number(raw) < 0 ? -1 : Number(raw);
  try {
    return parseDuration(raw);
  } catch {
    throw new MetadataError(name, `"${raw}" is not a duration (for example 5s, 500ms, or a number of milliseconds)`);
  }
}

/** An integer field. @throws MetadataError when it is not one or is below `min`. */
export function integer(name: string, raw: string | undefined, fallback: number, min = Number.MIN_SAFE_INTEGER): number {
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw) || Number(raw) < min) throw new MetadataError(name, `"${raw}" is not an integer${min > Number.MIN_SAFE_INTEGER ? ` of at least ${min}` : ''}`);
  return Number(raw);
}

function splitAddress(name: string, address: string, port: number | undefined): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(address.trim());
  const host = match?.[1] ?? '';
  if (!match || host === '') throw new MetadataError(name, `"${address}" is not a host or host:port`);
  const own = match[2] === undefined ? undefined : Number(match[2]);
  if (own !== undefined && port !== undefined && own !== port) {
    throw new MetadataError('redisPort', `redis host "${address}" already contains port ${own}, but redisPort is set to ${port}; either remove the port from redisHost or remove the redisPort setting`);
  }
  return { host, port: own ?? port ?? 6379 };
}

/**
 * Validates `fields` (the component's whole list) and decodes the connection part with Dapr's
 * per-block defaults. @throws MetadataError naming the offending field.
 */
export function parseConnectionSettings(metadata: Readonly<Record<string, string>>, fields: readonly MetadataField[], block: RedisBlock): RedisConnectionSettings {
  validateMetadata(fields, metadata);
  const get = (name: string): string | undefined => field(metadata, fields, name);
  if (get('redisType') === 'cluster') throw new MetadataError('redisType', 'Redis Cluster is not supported yet; use a single node or Sentinel (`failover`)');
  if (parseBoolean(get('useEntraID'))) throw new MetadataError('useEntraID', 'Entra ID authentication is not supported');
  if (parseBoolean(get('useOIDC'))) throw new MetadataError('useOIDC', 'OIDC authentication is not supported');
  const port = get('redisPort') === undefined ? undefined : integer('redisPort', get('redisPort'), 6379, 1);
  const addresses = (get('redisHost') ?? '').split(',').map((part) => part.trim()).filter(Boolean)
    .map((address) => splitAddress('redisHost', address, port));
  const first = addresses[0];
  if (!first) throw new MetadataError('redisHost', 'is required');
  const failover = parseBoolean(get('failover')) ?? false;
  if (failover && !get('sentinelMasterName')) throw new MetadataError('sentinelMasterName', 'is required when failover is true');
  if (!failover && addresses.length > 1) throw new MetadataError('redisHost', 'several hosts need `failover: true` (Sentinel); Redis Cluster is not supported yet');
  const enableTLS = parseBoolean(get('enableTLS')) ?? false;
  const cert = get('clientCert');
  const key = get('clientKey');
  const legacyDefaults = block === 'state' || block === 'lock';
  // As in go-redis, 0 means the default and a negative value means no timeout.
  const orDefault = (value: number, fallback: number): number => (value === 0 ? fallback : value);
  const readTimeoutMs = orDefault(redisDuration('readTimeout', get('readTimeout'), 3000), 3000);
  const writeTimeoutMs = orDefault(redisDuration('writeTimeout', get('writeTimeout'), readTimeoutMs), readTimeoutMs);
  const dialTimeoutMs = redisDuration('dialTimeout', get('dialTimeout'), 5000);
  const maxRetries = integer('redisMaxRetries', get('redisMaxRetries'), 3);
  return {
    host: first.host,
    port: first.port,
    sentinels: failover ? addresses : [],
    sentinelMasterName: failover ? get('sentinelMasterName') : undefined,
    sentinelUsername: get('sentinelUsername'),
    sentinelPassword: get('sentinelPassword'),
    username: get('redisUsername'),
    password: get('redisPassword'),
    db: integer('redisDB', get('redisDB'), 0, 0),
    tls: enableTLS ? { rejectUnauthorized: !(parseBoolean(get('insecureSkipTLSVerify')) ?? false), ...(cert && key ? { cert, key } : {}) } : undefined,
    maxRetries: Math.max(0, maxRetries),
    minRetryIntervalMs: Math.max(0, redisDuration('redisMinRetryInterval', get('redisMinRetryInterval'), legacyDefaults ? 2000 : 8)),
    maxRetryIntervalMs: Math.max(0, redisDuration('redisMaxRetryInterval', get('redisMaxRetryInterval'), block === 'configuration' ? 2000 : 512)),
    dialTimeoutMs: dialTimeoutMs > 0 ? dialTimeoutMs : 5000,
    commandTimeoutMs: readTimeoutMs < 0 && writeTimeoutMs < 0 ? undefined : Math.max(readTimeoutMs, writeTimeoutMs, 1),
    readTimeoutMs: readTimeoutMs < 0 ? 3000 : Math.max(readTimeoutMs, 1),
    address: `${first.host}:${first.port}`,
  };
}
