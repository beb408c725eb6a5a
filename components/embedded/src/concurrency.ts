import { EtagInvalidError, EtagMismatchError, InvalidStateRequestError, type StateOptions } from '@outrigger/components-api';

/*
 * ETags in the embedded stores are numbers ("1", "2", ...) drawn from one monotonic sequence per store,
 * not Dapr's random UUIDs. Why numbers: they let a store tell a malformed ETag (EtagInvalidError, HTTP 400)
 * from a stale one (EtagMismatchError, HTTP 409), as Dapr's database-backed stores do, and are cheap to
 * compare in SQL. Why one sequence per store rather than a version per key: a value is never issued twice,
 * so an ETag kept across a delete cannot match the item written afterwards, as with Dapr's UUIDs.
 * The in-memory store keeps the sequence on the instance; the sqlite store in its metadata table
 * (`etag-sequence`), advanced in the write's own transaction, so processes sharing the file never collide.
 */

/** The version a valid ETag names. @throws EtagInvalidError when it is not a positive integer string. */
export function parseEtag(etag: string): number {
  if (!/^[1-9]\d{0,15}$/.test(etag)) throw new EtagInvalidError(etag);
  const version = Number(etag);
  if (!Number.isSafeInteger(version)) throw new EtagInvalidError(etag);
  return version;
}

/** The number an ETag holds, or 0 for none or one no embedded store issued (e.g. a Dapr UUID). */
function versionOf(etag: string | undefined): number {
  const version = etag !== undefined && /^[1-9]\d{0,15}$/.test(etag) ? Number(etag) : 0;
  return Number.isSafeInteger(version) ? version : 0;
}

/**
 * The ETag a write produces: one past both `last` (the last ETag the store issued, its sequence) and
 * `previous` (the key's stored ETag, if any; a row written before the sequence existed can be ahead of it).
 */
export function nextEtag(last: string | undefined, previous: string | undefined): string {
  return String(Math.max(versionOf(last), versionOf(previous)) + 1);
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
