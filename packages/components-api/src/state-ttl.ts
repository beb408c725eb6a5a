import { InvalidStateRequestError } from './state.js';
import { metadataValue } from './metadata.js';

/**
 * Reads `ttlInSeconds` from request metadata.
 * @returns the expiry as epoch milliseconds, or undefined for no TTL (absent, 0 or -1, as in Dapr's stores).
 * @throws InvalidStateRequestError for a value that is not an integer >= -1.
 */
export function expiryFromMetadata(metadata: Readonly<Record<string, string>> | undefined, now = Date.now()): number | undefined {
  const raw = metadata ? metadataValue(metadata, 'ttlInSeconds') : undefined;
  if (raw === undefined || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw.trim())) throw new InvalidStateRequestError(`incorrect value for metadata 'ttlInSeconds': ${raw}`);
  const seconds = Number(raw);
  if (seconds < -1) throw new InvalidStateRequestError(`incorrect value for metadata 'ttlInSeconds': ${raw}: must be -1 or greater`);
  if (seconds <= 0) return undefined;
  return now + seconds * 1000;
}

/**
 * The response metadata Dapr returns for an item with a TTL. Dapr formats it with Go's
 * `time.RFC3339` in UTC, which has whole seconds (`2026-01-02T03:04:05Z`), so the milliseconds are dropped.
 */
export function ttlResponseMetadata(expiresAt: number | undefined): Record<string, string> | undefined {
  return expiresAt === undefined ? undefined : { ttlExpireTime: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z') };
}
