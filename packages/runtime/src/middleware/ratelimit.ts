import { metadataValue } from '@outrigger/components-api';
import { pathOf } from '@outrigger/kit';
import { headerValue, type HttpExchange, type MiddlewareLink } from './http-exchange.js';
import { middlewareRegistration } from './http-middleware.js';

/** daprd's default when the metadata leaves it out. */
const defaultMaxRequestsPerSecond = 100;
/** Buckets kept before idle (full again) ones are swept, so many callers cannot grow memory without bound. */
const sweepAbove = 10_000;

interface Bucket {
  tokens: number;
  updatedMs: number;
}

/**
 * A token bucket per caller IP and path, as daprd's tollbooth limiter keys it: `max` tokens a second,
 * holding at most `max` (at least 1), so a burst of `max` requests passes at once.
 * @param now the clock in milliseconds; injected by tests
 */
export function rateLimitLink(maxRequestsPerSecond: number, now: () => number = Date.now): MiddlewareLink {
  const burst = Math.max(1, Math.floor(maxRequestsPerSecond));
  const refillMs = (burst / maxRequestsPerSecond) * 1000;
  const buckets = new Map<string, Bucket>();
  const limitHeader = maxRequestsPerSecond.toFixed(2);
  const roundedLimit = String(Math.round(maxRequestsPerSecond));

  const take = (key: string): { allowed: boolean; left: number } => {
    const at = now();
    let bucket = buckets.get(key);
    if (!bucket) {
      if (buckets.size >= sweepAbove) sweep(buckets, at, refillMs);
      bucket = { tokens: burst, updatedMs: at };
      buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(burst, bucket.tokens + ((at - bucket.updatedMs) / 1000) * maxRequestsPerSecond);
    bucket.updatedMs = at;
    const allowed = bucket.tokens >= 1;
    if (allowed) bucket.tokens -= 1;
    return { allowed, left: Math.floor(bucket.tokens) };
  };

  return async (exchange, next) => {
    const { allowed, left } = take(`${callerIp(exchange)}|${pathOf(exchange.url)}`);
    exchange.setResponseHeader('X-Rate-Limit-Limit', limitHeader);
    exchange.setResponseHeader('X-Rate-Limit-Duration', '1');
    exchange.setResponseHeader('RateLimit-Limit', roundedLimit);
    exchange.setResponseHeader('RateLimit-Remaining', String(left));
    exchange.setResponseHeader('RateLimit-Reset', '1');
    if (!allowed) {
      exchange.respond({ status: 429, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'You have reached maximum request limit.' });
      return;
    }
    await next(exchange);
  };
}

/**
 * The caller as daprd's limiter finds it: the last `X-Forwarded-For` entry, else `X-Real-IP`, else the
 * peer address; calls with none of them (the sidecar's own calls to its app) share `0.0.0.0`.
 */
export function callerIp(exchange: HttpExchange): string {
  const forwardedFor = headerValue(exchange.headers, 'x-forwarded-for');
  if (forwardedFor !== undefined && forwardedFor !== '') {
    const parts = forwardedFor.split(',');
    return (parts[parts.length - 1] as string).trim();
  }
  const realIp = headerValue(exchange.headers, 'x-real-ip');
  if (realIp !== undefined && realIp !== '') return realIp;
  return exchange.remoteAddress ?? '0.0.0.0';
}

function sweep(buckets: Map<string, Bucket>, at: number, refillMs: number): void {
  for (const [key, bucket] of buckets) {
    if (at - bucket.updatedMs >= refillMs) buckets.delete(key);
  }
}

/** Reads `maxRequestsPerSecond` as daprd does: a number, default 100, which must be positive. */
export function maxRequestsPerSecond(metadata: Readonly<Record<string, string>>): number {
  const raw = metadataValue(metadata, 'maxRequestsPerSecond');
  if (raw === undefined || raw.trim() === '') return defaultMaxRequestsPerSecond;
  const value = Number(raw.trim());
  if (!Number.isFinite(value) || value <= 0) throw new Error(`metadata property maxRequestsPerSecond must be a positive number, not "${raw}"`);
  return value;
}

export const rateLimitMiddleware = middlewareRegistration({
  name: 'ratelimit',
  description: 'Limits requests per second for each caller IP and path; over the limit answers 429 Too Many Requests',
  metadata: [
    { name: 'maxRequestsPerSecond', description: 'Requests allowed per second for one caller IP and path (fractions allowed)', default: String(defaultMaxRequestsPerSecond) },
  ],
  create: ({ metadata }) => rateLimitLink(maxRequestsPerSecond(metadata)),
});
