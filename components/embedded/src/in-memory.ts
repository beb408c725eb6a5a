import {
  evaluateQuery, expiryFromMetadata, InvalidStateRequestError, ttlResponseMetadata,
  type ComponentContext, type DeleteRequest, type GetRequest, type MetadataField, type QueryableStateStore, type QueryCandidate,
  type QueryResponse, type SetRequest, type StateFeature, type StateQuery, type StoredState, type TransactionalStateStore,
  type TransactionOperation,
} from '@outrigger/components-api';
import { checkDelete, checkOptions, checkWrite, hasEtag, nextEtag, parseEtag } from './concurrency.js';

/** `state.in-memory` takes no metadata of its own; the common fields (keyPrefix, actorStateStore) are the runtime's. */
export const inMemoryMetadata: readonly MetadataField[] = [];

interface Entry {
  readonly value: Uint8Array;
  readonly etag: string;
  /** Epoch milliseconds; undefined for no TTL. */
  readonly expiresAt?: number;
}

/** Dapr sweeps expired items every second; expired items are invisible before that anyway. */
const SWEEP_INTERVAL_MS = 1000;

/** A validated operation, ready to be checked against the current items and applied. */
type Prepared =
  | { readonly kind: 'upsert'; readonly request: SetRequest; readonly expiresAt: number | undefined }
  | { readonly kind: 'delete'; readonly request: DeleteRequest };

/**
 * Process-local state store (`state.in-memory`). Data lives in a Map and is lost on close.
 * Every write path (set, delete, transact) goes through one all-or-nothing routine, so a single
 * write is just a transaction of one operation. No await happens between check and apply,
 * which is what makes the ETag checks atomic on Node's single thread.
 */
export class InMemoryStateStore implements TransactionalStateStore, QueryableStateStore {
  private readonly items = new Map<string, Entry>();
  /** The last ETag issued; never reset, so no ETag is issued twice (see concurrency.ts). */
  private lastEtag: string | undefined;
  private sweeper: NodeJS.Timeout | undefined;

  async init(_context: ComponentContext): Promise<void> {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    // A store must never keep the process alive on its own.
    this.sweeper.unref();
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.items.clear();
  }

  features(): readonly StateFeature[] {
    return ['ETAG', 'TRANSACTIONAL', 'TTL', 'QUERY_API'];
  }

  async get(request: GetRequest): Promise<StoredState | undefined> {
    const entry = this.live(request.key, Date.now());
    if (!entry) return undefined;
    const metadata = ttlResponseMetadata(entry.expiresAt);
    return { value: new Uint8Array(entry.value), etag: entry.etag, ...(metadata ? { metadata } : {}) };
  }

  async set(request: SetRequest): Promise<void> {
    this.apply([{ operation: 'upsert', request }]);
  }

  async delete(request: DeleteRequest): Promise<void> {
    this.apply([{ operation: 'delete', request }]);
  }

  async transact(operations: readonly TransactionOperation[], _metadata?: Readonly<Record<string, string>>): Promise<void> {
    this.apply(operations);
  }

  async query(query: StateQuery, keyPrefix: string): Promise<QueryResponse> {
    const now = Date.now();
    const rows: QueryCandidate[] = [];
    for (const [key, entry] of this.items) {
      if (key.startsWith(keyPrefix) && !expired(entry, now)) rows.push({ key, value: entry.value, etag: entry.etag });
    }
    const { results, token } = evaluateQuery(rows, query);
    // Copies, so a caller mutating a result cannot change the stored bytes.
    const copies = results.map((item) => ({ ...item, value: new Uint8Array(item.value) }));
    return token === undefined ? { results: copies } : { results: copies, token };
  }

  /** Validates every operation, checks them in order against a staged view, then applies all or nothing. */
  private apply(operations: readonly TransactionOperation[]): void {
    const now = Date.now();
    const prepared = operations.map((operation) => prepare(operation, now));
    // Staged results of earlier operations in this batch; null marks a staged delete.
    const staged = new Map<string, Entry | null>();
    const view = (key: string): Entry | undefined =>
      staged.has(key) ? (staged.get(key) ?? undefined) : this.live(key, now);
    for (const op of prepared) {
      const { key } = op.request;
      const current = view(key)?.etag;
      if (op.kind === 'delete') {
        checkDelete(key, current, op.request.etag);
        staged.set(key, null);
        continue;
      }
      checkWrite(key, current, op.request.etag, op.request.options?.concurrency === 'first-write');
      // A copy, so the caller reusing its buffer cannot change what was stored.
      const value = new Uint8Array(op.request.value);
      // Advanced even if a later operation fails: a gap in the sequence is harmless, a reuse is not.
      const etag = this.lastEtag = nextEtag(this.lastEtag, current);
      staged.set(key, op.expiresAt === undefined ? { value, etag } : { value, etag, expiresAt: op.expiresAt });
    }
    for (const [key, entry] of staged) {
      if (entry === null) this.items.delete(key);
      else this.items.set(key, entry);
    }
  }

  /** The entry if present and not expired; an expired one is dropped on the way. */
  private live(key: string, now: number): Entry | undefined {
    const entry = this.items.get(key);
    if (!entry || !expired(entry, now)) return entry;
    this.items.delete(key);
    return undefined;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.items) if (expired(entry, now)) this.items.delete(key);
  }
}

/** Request-level validation done before any operation is checked against stored data. */
function prepare(operation: TransactionOperation, now: number): Prepared {
  checkOptions(operation.request.options);
  if (hasEtag(operation.request.etag)) parseEtag(operation.request.etag);
  if (operation.operation === 'delete') return { kind: 'delete', request: operation.request };
  // The runtime may hand over operation names straight from a request body.
  if (operation.operation !== 'upsert') throw new InvalidStateRequestError(`operation type ${String((operation as { operation: unknown }).operation)} not supported`);
  return { kind: 'upsert', request: operation.request, expiresAt: expiryFromMetadata(operation.request.metadata, now) };
}

function expired(entry: Entry, now: number): boolean {
  return entry.expiresAt !== undefined && entry.expiresAt <= now;
}
