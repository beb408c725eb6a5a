import { daprError, DaprError, errorMessage } from '@outrigger/kit';
import {
  EtagInvalidError, EtagMismatchError, InvalidStateRequestError, isQueryable, isTransactional,
  type StateOptions, type StateQuery, type StateStore, type StoredState, type TransactionOperation,
} from '@outrigger/components-api';
import type { ComponentHost } from '../../components/component-host.js';
import { componentMetricsOf, timed, type StateOperation } from '../../observability/metrics-components.js';
import { createKeyPrefixer, type KeyPrefixer } from './key-prefix.js';

/** One item of a save request, with its value already encoded as the bytes to store. */
export interface SaveItem {
  readonly key: string;
  readonly value: Uint8Array;
  readonly etag?: string | undefined;
  readonly metadata?: Readonly<Record<string, string>> | undefined;
  readonly options?: RawStateOptions | undefined;
}

/** Options as they arrive on the wire, before validation. */
export interface RawStateOptions {
  readonly concurrency?: string | undefined;
  readonly consistency?: string | undefined;
}

export interface BulkGetItem {
  readonly key: string;
  readonly state?: StoredState;
  readonly error?: string;
}

export interface TransactionRequestOperation {
  readonly operation: string;
  readonly item: SaveItem;
}

interface ResolvedStore {
  readonly name: string;
  readonly store: StateStore;
  readonly keys: KeyPrefixer;
}

/**
 * The state building block, shared by the HTTP and gRPC APIs: store lookup, key prefixes,
 * option checks and the mapping of store errors onto Dapr's error codes.
 */
export class StateApi {
  private readonly prefixers = new Map<string, KeyPrefixer>();

  constructor(private readonly host: ComponentHost, private readonly appId: string, private readonly namespace: string) {}

  /** Runs one call on the store, counted in `dapr_component_state_*` when metrics are on. */
  private measured<T>(storeName: string, operation: StateOperation, work: () => Promise<T>): Promise<T> {
    return timed(work, (success, elapsedMs) => componentMetricsOf(this.host).state(storeName, operation, success, elapsedMs));
  }

  /** @throws DaprError when no store or no store of that name is loaded. */
  resolve(storeName: string): ResolvedStore {
    const stores = this.host.ofBlock('state');
    if (stores.length === 0) throw daprError('stateStoresNotConfigured', storeName).withInfo({ appID: this.appId });
    const component = stores.find((candidate) => candidate.name === storeName);
    if (!component) throw daprError('stateStoreNotFound', storeName).withInfo({ appID: this.appId });
    let keys = this.prefixers.get(storeName);
    if (!keys) {
      keys = createKeyPrefixer({ storeName, appId: this.appId, namespace: this.namespace, metadata: component.metadata });
      this.prefixers.set(storeName, keys);
    }
    return { name: storeName, store: component.instance as StateStore, keys };
  }

  async get(storeName: string, key: string, metadata: Record<string, string>, consistency?: string): Promise<StoredState | undefined> {
    const { store, keys } = this.resolve(storeName);
    const storedKey = keys.toStored(key);
    try {
      return await this.measured(storeName, 'get', () => store.get({ key: storedKey, metadata, options: consistency ? { consistency: consistency as StateOptions['consistency'] } : {} }));
    } catch (error) {
      throw daprError('stateGet', key, storeName, errorMessage(error));
    }
  }

  async save(storeName: string, items: readonly SaveItem[]): Promise<void> {
    const { store, keys } = this.resolve(storeName);
    const requests = items.map((item) => {
      if (!item.key) throw daprError('stateKeyMissing');
      return { key: keys.toStored(item.key), value: item.value, etag: emptyToUndefined(item.etag), metadata: item.metadata, options: item.options };
    });
    await this.measured(storeName, 'set', async () => {
      for (const request of requests) {
        try {
          await store.set({ ...request, options: checkOptions(request.options) });
        } catch (error) {
          throw mapWriteError(error, 'save', storeName, request.key);
        }
      }
    });
  }

  async delete(storeName: string, key: string, etag: string | undefined, metadata: Record<string, string>, options: RawStateOptions): Promise<void> {
    const { store, keys } = this.resolve(storeName);
    const storedKey = keys.toStored(key);
    try {
      await this.measured(storeName, 'delete', () => store.delete({ key: storedKey, etag: emptyToUndefined(etag), metadata, options: checkOptions(options) }));
    } catch (error) {
      throw mapWriteError(error, 'delete', storeName, key);
    }
  }

  /** Gets several keys, at most `parallelism` at a time (0 or less: all at once). Per-key failures are reported per key. */
  async bulkGet(storeName: string, keyList: readonly string[], parallelism: number, metadata: Record<string, string>): Promise<BulkGetItem[]> {
    const { store, keys } = this.resolve(storeName);
    const storedKeys = keyList.map((key) => keys.toStored(key));
    const results: BulkGetItem[] = new Array(keyList.length);
    const width = parallelism > 0 ? parallelism : Math.max(1, keyList.length);
    let next = 0;
    const worker = async () => {
      while (next < keyList.length) {
        const index = next++;
        const key = keyList[index] as string;
        try {
          const state = await store.get({ key: storedKeys[index] as string, metadata });
          results[index] = state ? { key, state } : { key };
        } catch (error) {
          results[index] = { key, error: errorMessage(error) };
        }
      }
    };
    await this.measured(storeName, 'bulk_get', () => Promise.all(Array.from({ length: Math.min(width, Math.max(1, keyList.length)) }, worker)));
    return results;
  }

  async transact(storeName: string, operations: readonly TransactionRequestOperation[], metadata: Record<string, string>): Promise<void> {
    const { store, keys } = this.resolve(storeName);
    if (!isTransactional(store)) throw daprError('stateTransactionUnsupported', storeName);
    const max = store.maxTransactionOperations;
    if (max !== undefined && operations.length > max) throw daprError('stateTooManyOperations', operations.length, max);
    const prepared: TransactionOperation[] = operations.map(({ operation, item }) => {
      if (operation !== 'upsert' && operation !== 'delete') throw daprError('stateOperationUnsupported', operation);
      if (!item.key) throw daprError('stateKeyMissing');
      const base = { key: keys.toStored(item.key), etag: emptyToUndefined(item.etag), metadata: { ...metadata, ...item.metadata } };
      try {
        const options = checkOptions(item.options);
        return operation === 'upsert'
          ? { operation, request: { ...base, value: item.value, options } }
          : { operation, request: { ...base, options } };
      } catch (error) {
        throw daprError('stateTransaction', errorMessage(error));
      }
    });
    if (prepared.length === 0) return;
    try {
      await this.measured(storeName, 'transaction', () => store.transact(prepared, metadata));
    } catch (error) {
      throw daprError('stateTransaction', errorMessage(error));
    }
  }

  /** Runs Dapr's alpha1 query; result keys come back without the prefix. */
  async query(storeName: string, query: StateQuery): Promise<{ results: { key: string; value: Uint8Array; etag: string }[]; token?: string }> {
    const { store, keys } = this.resolve(storeName);
    if (!isQueryable(store)) throw daprError('stateQueryUnsupported');
    try {
      const response = await this.measured(storeName, 'query', () => store.query(query, keys.prefix));
      const results = response.results.map((item) => ({ key: keys.fromStored(item.key), value: item.value, etag: item.etag }));
      return response.token === undefined ? { results } : { results, token: response.token };
    } catch (error) {
      throw daprError('stateQuery', storeName, errorMessage(error));
    }
  }
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Dapr's stores refuse unknown option values with these messages. @throws InvalidStateRequestError */
function checkOptions(options: RawStateOptions | undefined): StateOptions {
  const concurrency = options?.concurrency ?? '';
  const consistency = options?.consistency ?? '';
  if (!['', 'first-write', 'last-write'].includes(concurrency)) throw new InvalidStateRequestError(`unrecognized concurrency model '${concurrency}'`);
  if (!['', 'strong', 'eventual'].includes(consistency)) throw new InvalidStateRequestError(`unrecognized consistency model '${consistency}'`);
  return {
    ...(concurrency === '' ? {} : { concurrency: concurrency as StateOptions['concurrency'] }),
    ...(consistency === '' ? {} : { consistency: consistency as StateOptions['consistency'] }),
  };
}

function mapWriteError(error: unknown, operation: 'save' | 'delete', storeName: string, key: string): DaprError {
  if (error instanceof DaprError) return error;
  const save = operation === 'save';
  if (error instanceof EtagMismatchError) return save ? daprError('stateEtagMismatch', storeName, error.message) : daprError('stateDeleteEtagMismatch', key, error.message);
  if (error instanceof EtagInvalidError) return save ? daprError('stateEtagInvalid', storeName, error.message) : daprError('stateDeleteEtagInvalid', key, error.message);
  return save ? daprError('stateSave', storeName, errorMessage(error)) : daprError('stateDelete', key, errorMessage(error));
}
