import { EtagInvalidError, EtagMismatchError, InvalidStateRequestError, type StateOptions } from '@outrigger/components-api';

/*
 * ETags in the embedded stores are per-key version numbers ("1", "2", ...), not Dapr's random UUIDs.
 * Why: a version number lets a store tell a malformed ETag (EtagInvalidError, HTTP 400) from a stale
 * one (EtagMismatchError, HTTP 409), as Dapr's database-backed stores do, and it is cheap to compare in SQL.
 * Trade-off: a key deleted and written again starts at "1" again, so an ETag kept across a delete can match
 * the new item (Dapr's UUIDs cannot).
 */

/** The version a valid ETag names. @throws EtagInvalidError when it is not a positive integer string. */
export function parseEtag(etag: string): number {
  if (!/^[1-9]\d{0,15}$/.test(etag)) throw new EtagInvalidError(etag);
  const version = Number(etag);
  if (!Number.isSafeInteger(version)) throw new EtagInvalidError(etag);
  return version;
}

/** The ETag a write produces after `previous` (the stored ETag, or undefined for a new key). */
export function nextEtag(previous: string | undefined): string {
  const version = previous !== undefined && /^[1-9]\d{0,15}$/.test(previous) ? Number(previous) : 0;
  return String(version + 1);
}

/** Dapr treats an empty ETag as no ETag. */
export function hasEtag(etag: string | undefined): etag is string {
  return etag !== undefined && etag !== '';
}

/**
 * Rejects option values Dapr does not know, as Dapr's `CheckRequestOptions` does; the runtime may
 * pass request strings straight through, so the types alone do not guarantee this.
 */
export function checkOptions(options: StateOptions | undefined): void {
  const concurrency: unknown = options?.concurrency;
  const consistency: unknown = options?.consistency;
  if (concurrency !== undefined && concurrency !== '' && concurrency !== 'first-write' && concurrency !== 'last-write') {
    throw new InvalidStateRequestError(`unrecognized concurrency model '${String(concurrency)}'`);
  }
  if (consistency !== undefined && consistency !== '' && consistency !== 'strong' && consistency !== 'eventual') {
    throw new InvalidStateRequestError(`unrecognized consistency model '${String(consistency)}'`);
  }
}

/**
 * Checks a write against the current live ETag of the key (undefined: missing or expired).
 * With an ETag: it must be well formed and equal the current one. Without: first-write refuses an existing key.
 * @throws EtagInvalidError, EtagMismatchError
 */
export function checkWrite(key: string, current: string | undefined, etag: string | undefined, firstWrite: boolean): void {
  if (hasEtag(etag)) {
    parseEtag(etag);
    if (current === undefined) throw new EtagMismatchError(`state not exist or expired for key=${key}`);
    if (current !== etag) throw new EtagMismatchError(`state etag not match for key=${key}: current=${current}, expect=${etag}`);
    return;
  }
  if (firstWrite && current !== undefined) throw new EtagMismatchError('item already exists and no etag was passed');
}

/**
 * Checks a delete: only an ETag makes it conditional. Unlike Dapr's in-memory store, first-write
 * without an ETag does not block a delete; this matches Dapr's sqlite store, so both embedded stores agree.
 * @throws EtagInvalidError, EtagMismatchError
 */
export function checkDelete(key: string, current: string | undefined, etag: string | undefined): void {
  if (hasEtag(etag)) checkWrite(key, current, etag, false);
}
