import { metadataValue } from './metadata.js';

/** The request of Dapr's SQL output bindings (PostgreSQL, MySQL): metadata `sql`, and `params` as a JSON array. */
export interface SqlBindingRequest {
  readonly sql: string;
  readonly params: unknown[];
}

/**
 * Reads `sql` and `params` from a binding call's metadata, with Dapr's messages.
 * @throws Error when `sql` is missing or `params` is not a JSON array.
 */
export function readSqlBindingRequest(metadata: Readonly<Record<string, string>>): SqlBindingRequest {
  const sql = metadataValue(metadata, 'sql') ?? '';
  if (sql === '') throw new Error('required metadata not set: sql');
  const raw = metadataValue(metadata, 'params') ?? '';
  if (raw === '') return { sql, params: [] };
  let params: unknown;
  try {
    params = JSON.parse(raw);
  } catch (error) {
    throw new Error(`invalid metadata property params: failed to unserialize into an array: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!Array.isArray(params)) throw new Error('invalid metadata property params: failed to unserialize into an array: not a JSON array');
  return { sql, params };
}

/** A point in time for `start-time`/`end-time`: wall clock in ms plus a monotonic reading for the duration. */
export interface SqlCallClock {
  readonly wallMs: number;
  readonly monotonicNs: bigint;
}

export function sqlCallClock(): SqlCallClock {
  return { wallMs: Date.now(), monotonicNs: process.hrtime.bigint() };
}

/**
 * The response metadata Dapr's SQL bindings return: `operation`, `sql`, `start-time`, `end-time`
 * (RFC 3339 with fractional seconds, UTC) and `duration` (Go's duration text, e.g. `1.503ms`).
 */
export function sqlResponseMetadata(operation: string, sql: string, start: SqlCallClock, end: SqlCallClock): Record<string, string> {
  return {
    operation,
    sql,
    'start-time': rfc3339Nano(start.wallMs),
    'end-time': rfc3339Nano(end.wallMs),
    duration: formatGoDuration(end.monotonicNs - start.monotonicNs),
  };
}

/** Go's `time.RFC3339Nano` of a UTC instant: trailing zeros of the fraction dropped. */
export function rfc3339Nano(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.(\d*?)0*Z$/, (_, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}

/** Go's `time.Duration.String()`: `0s`, `850ns`, `1.5µs`, `12.003ms`, `2.5s`, `1m30s`, `2h0m0s`. */
export function formatGoDuration(nanoseconds: bigint): string {
  const negative = nanoseconds < 0n;
  const ns = negative ? -nanoseconds : nanoseconds;
  const sign = negative ? '-' : '';
  if (ns === 0n) return '0s';
  const fraction = (value: bigint, unit: bigint, digits: number): string => {
    const whole = value / unit;
    const rest = (value % unit).toString().padStart(digits, '0').replace(/0+$/, '');
    return rest ? `${whole}.${rest}` : `${whole}`;
  };
  if (ns < 1000n) return `${sign}${ns}ns`;
  if (ns < 1_000_000n) return `${sign}${fraction(ns, 1000n, 3)}µs`;
  if (ns < 1_000_000_000n) return `${sign}${fraction(ns, 1_000_000n, 6)}ms`;
  const hours = ns / 3_600_000_000_000n;
  const minutes = (ns / 60_000_000_000n) % 60n;
  const seconds = fraction(ns % 60_000_000_000n, 1_000_000_000n, 9);
  if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0n) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}
