import { durationField } from './durations.js';
import { parseStatusCodes, statusCodeBounds, type StatusCodeSet } from './status-codes.js';

/** A retry policy as Dapr defines it, with its defaults filled in. */
export interface RetryPolicy {
  readonly name: string;
  readonly policy: 'constant' | 'exponential';
  /** Constant: the wait between attempts. */
  readonly durationMs: number;
  /** Exponential: the first wait, its growth per retry and the random spread around it. */
  readonly initialIntervalMs: number;
  readonly multiplier: number;
  readonly randomizationFactor: number;
  /** Exponential: the wait never grows beyond this. */
  readonly maxIntervalMs: number;
  /** -1 retries forever; 0 never retries. */
  readonly maxRetries: number;
  /** When set, only failed answers with these codes are retried; other errors always are. */
  readonly httpStatusCodes?: StatusCodeSet;
  readonly grpcStatusCodes?: StatusCodeSet;
}

/** The Resiliency YAML of one retry policy (schema-checked; extra fields kept). */
export interface RetrySpec {
  readonly policy?: 'constant' | 'exponential';
  readonly duration?: string;
  readonly maxInterval?: string;
  readonly maxRetries?: number;
  readonly matching?: { readonly httpStatusCodes?: string; readonly gRPCStatusCodes?: string };
  readonly [extra: string]: unknown;
}

// daprd's defaults (its retry config on top of cenkalti/backoff's exponential defaults).
const defaults = { durationMs: 5_000, initialIntervalMs: 500, multiplier: 1.5, randomizationFactor: 0.5, maxIntervalMs: 60_000, maxRetries: -1 };

/** Builds a policy from its YAML. @throws Error naming the field that is wrong */
export function retryPolicyFromSpec(name: string, spec: RetrySpec): RetryPolicy {
  const field = <T>(fieldName: string, read: () => T): T => {
    try {
      return read();
    } catch (error) {
      throw new Error(`retry policy "${name}": field "${fieldName}": ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const numberField = (fieldName: string, fallback: number): number => field(fieldName, () => {
    const value = spec[fieldName];
    if (value === undefined) return fallback;
    const parsed = typeof value === 'number' ? value : Number(value);
    if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`must be a non-negative number, not ${JSON.stringify(value)}`);
    return parsed;
  });
  const httpCodes = spec.matching?.httpStatusCodes;
  const grpcCodes = spec.matching?.gRPCStatusCodes;
  return {
    name,
    policy: spec.policy ?? 'constant',
    durationMs: field('duration', () => durationField(spec.duration, defaults.durationMs)),
    initialIntervalMs: field('initialInterval', () => durationField(typeof spec.initialInterval === 'string' ? spec.initialInterval : undefined, defaults.initialIntervalMs)),
    multiplier: numberField('multiplier', defaults.multiplier),
    randomizationFactor: numberField('randomizationFactor', defaults.randomizationFactor),
    maxIntervalMs: field('maxInterval', () => durationField(spec.maxInterval, defaults.maxIntervalMs)),
    maxRetries: spec.maxRetries ?? defaults.maxRetries,
    ...(httpCodes ? { httpStatusCodes: field('matching.httpStatusCodes', () => parseStatusCodes(httpCodes, statusCodeBounds.http)) } : {}),
    ...(grpcCodes ? { grpcStatusCodes: field('matching.gRPCStatusCodes', () => parseStatusCodes(grpcCodes, statusCodeBounds.grpc)) } : {}),
  };
}

/**
 * How long to wait before retry number `retry` (0 for the first retry). Exponential waits grow by
 * `multiplier` from `initialInterval` up to `maxInterval`, each spread by ±`randomizationFactor`
 * (`random` returns [0, 1)), as cenkalti/backoff does for daprd.
 */
export function retryDelayMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  if (policy.policy === 'constant') return policy.durationMs;
  const base = Math.min(policy.maxIntervalMs, policy.initialIntervalMs * policy.multiplier ** retry);
  const spread = policy.randomizationFactor * base;
  return Math.min(policy.maxIntervalMs, Math.max(0, base - spread + random() * 2 * spread));
}

/** Whether another attempt is allowed after `retriesSoFar` retries. */
export function retriesLeft(policy: RetryPolicy, retriesSoFar: number): boolean {
  return policy.maxRetries < 0 || retriesSoFar < policy.maxRetries;
}

/** Whether a failed answer's code is one the policy retries (every code, without `matching`). */
export function matchesCode(policy: RetryPolicy, code: { readonly http?: number; readonly grpc?: number }): boolean {
  if (code.http !== undefined && policy.httpStatusCodes) return policy.httpStatusCodes.has(code.http);
  if (code.grpc !== undefined && policy.grpcStatusCodes) return policy.grpcStatusCodes.has(code.grpc);
  return true;
}
