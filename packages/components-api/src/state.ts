import type { Component } from './component.js';

/** Capability names as Dapr reports them in the metadata API. */
export type StateFeature = 'ETAG' | 'TRANSACTIONAL' | 'TTL' | 'QUERY_API' | 'ACTOR';

export type Concurrency = 'first-write' | 'last-write';
export type Consistency = 'strong' | 'eventual';

export interface StateOptions {
  readonly concurrency?: Concurrency;
  readonly consistency?: Consistency;
}

/** A stored value with its version. `value` is the exact bytes saved. */
export interface StoredState {
  readonly value: Uint8Array;
  readonly etag: string;
  /** Response metadata, e.g. `ttlExpireTime` (RFC 3339) when the item has a TTL. */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface GetRequest {
  /** The full stored key, prefix included (`app||key`). */
  readonly key: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly options?: StateOptions;
}

export interface SetRequest {
  readonly key: string;
  readonly value: Uint8Array;
  /** When set, the write only succeeds if the stored ETag equals it. */
  readonly etag?: string;
  /** Request metadata; `ttlInSeconds` sets a TTL (-1: never expire). */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly options?: StateOptions;
}

export interface DeleteRequest {
  readonly key: string;
  readonly etag?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly options?: StateOptions;
}

export type TransactionOperation =
  | { readonly operation: 'upsert'; readonly request: SetRequest }
  | { readonly operation: 'delete'; readonly request: DeleteRequest };

/** The required contract of every state store. */
export interface StateStore extends Component {
  features(): readonly StateFeature[];
  /** Resolves `undefined` when the key is missing or expired. */
  get(request: GetRequest): Promise<StoredState | undefined>;
  /** @throws EtagMismatchError, EtagInvalidError, or InvalidStateRequestError (bad TTL). */
  set(request: SetRequest): Promise<void>;
  /** Deleting a missing key without an ETag succeeds. @throws EtagMismatchError, EtagInvalidError. */
  delete(request: DeleteRequest): Promise<void>;
}

/** A store that applies several operations atomically. */
export interface TransactionalStateStore extends StateStore {
  /** All or nothing. @throws the first operation's error; nothing is applied then. */
  transact(operations: readonly TransactionOperation[], metadata?: Readonly<Record<string, string>>): Promise<void>;
  /** Largest operation count one transaction may hold; undefined for no limit. */
  readonly maxTransactionOperations?: number;
}

export function isTransactional(store: StateStore): store is TransactionalStateStore {
  return typeof (store as Partial<TransactionalStateStore>).transact === 'function';
}

/** Dapr's state query language (alpha1). Keys in filters and sorts are dotted paths into the JSON value. */
export type QueryFilter =
  | { readonly EQ: Readonly<Record<string, unknown>> }
  | { readonly NEQ: Readonly<Record<string, unknown>> }
  | { readonly GT: Readonly<Record<string, unknown>> }
  | { readonly GTE: Readonly<Record<string, unknown>> }
  | { readonly LT: Readonly<Record<string, unknown>> }
  | { readonly LTE: Readonly<Record<string, unknown>> }
  | { readonly IN: Readonly<Record<string, readonly unknown[]>> }
  | { readonly AND: readonly QueryFilter[] }
  | { readonly OR: readonly QueryFilter[] };

export interface StateQuery {
  readonly filter?: QueryFilter;
  readonly sort?: readonly { readonly key: string; readonly order?: 'ASC' | 'DESC' }[];
  readonly page?: { readonly limit?: number; readonly token?: string };
}

export interface QueryResultItem {
  /** Stored key, prefix included; the runtime strips it. */
  readonly key: string;
  readonly value: Uint8Array;
  readonly etag: string;
}

export interface QueryResponse {
  readonly results: readonly QueryResultItem[];
  readonly token?: string;
}

/** A store that answers Dapr's query API. */
export interface QueryableStateStore extends StateStore {
  /** Only keys starting with `keyPrefix` take part. @throws InvalidStateRequestError for a malformed query. */
  query(query: StateQuery, keyPrefix: string): Promise<QueryResponse>;
}

export function isQueryable(store: StateStore): store is QueryableStateStore {
  return typeof (store as Partial<QueryableStateStore>).query === 'function';
}

/** The stored ETag differs from the request's, or first-write found the key present. */
export class EtagMismatchError extends Error {
  constructor(message = 'etag mismatch') {
    super(message);
    this.name = 'EtagMismatchError';
  }
}

/** The request's ETag cannot be one this store produced. */
export class EtagInvalidError extends Error {
  constructor(etag: string) {
    super(`invalid etag value: ${etag}`);
    this.name = 'EtagInvalidError';
  }
}

/** A request the store refuses as malformed (a bad `ttlInSeconds`, a malformed query). */
export class InvalidStateRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidStateRequestError';
  }
}
