// Dapr state API over gRPC (GetState, GetBulkState, SaveState, DeleteState, DeleteBulkState,
// ExecuteStateTransaction, QueryStateAlpha1), with daprd's request semantics.
import { daprError, errorMessage } from '@outrigger/kit';
import type { StateQuery } from '@outrigger/components-api';
import type { RawStateOptions, SaveItem, StateApi } from '../../blocks/state/state-api.js';
import { StateOptions_StateConcurrency, StateOptions_StateConsistency, type StateItem, type StateOptions } from './dapr-protos.js';
import type { DaprMethods } from './dapr-service.js';

const consistencyNames: Readonly<Record<number, string>> = {
  [StateOptions_StateConsistency.CONSISTENCY_EVENTUAL]: 'eventual',
  [StateOptions_StateConsistency.CONSISTENCY_STRONG]: 'strong',
};
const concurrencyNames: Readonly<Record<number, string>> = {
  [StateOptions_StateConcurrency.CONCURRENCY_FIRST_WRITE]: 'first-write',
  [StateOptions_StateConcurrency.CONCURRENCY_LAST_WRITE]: 'last-write',
};

/** An unspecified (or unknown) enum value is no option at all, as in daprd's stateConsistencyToString. */
function consistencyOf(value: StateOptions_StateConsistency | undefined): string | undefined {
  return value === undefined ? undefined : consistencyNames[value];
}

function optionsOf(options: StateOptions | undefined): RawStateOptions | undefined {
  if (!options) return undefined;
  return { consistency: consistencyOf(options.consistency), concurrency: concurrencyNames[options.concurrency] };
}

/**
 * A state item as daprd reads it from gRPC: the value's bytes as sent, unless the item's `contentType`
 * metadata is `application/json`, in which case the value must be JSON (daprd decodes it before storing).
 * An Etag message that is present counts as an ETag even when empty.
 */
function saveItemOf(item: StateItem | undefined): SaveItem {
  // An operation without its item has no key: the state API refuses it as daprd does.
  if (!item) return { key: '', value: new Uint8Array() };
  if (item.metadata.contentType === 'application/json') {
    try {
      JSON.parse(Buffer.from(item.value).toString('utf8'));
    } catch (error) {
      throw daprError('malformedRequest', `the value of key ${item.key} is not JSON although its contentType is application/json: ${errorMessage(error)}`);
    }
  }
  return { key: item.key, value: item.value, etag: item.etag?.value, metadata: item.metadata, options: optionsOf(item.options) };
}

/** The state block's gRPC methods over the same {@link StateApi} as the HTTP routes. */
export function stateMethods(state: StateApi): DaprMethods {
  return {
    async getState(request) {
      const found = await state.get(request.storeName, request.key, request.metadata, consistencyOf(request.consistency));
      // A missing key is an empty answer, not an error, as in daprd.
      if (!found) return {};
      return { data: found.value, etag: found.etag, metadata: { ...found.metadata } };
    },

    async getBulkState(request) {
      state.resolve(request.storeName);
      if (request.keys.length === 0) return {};
      const items = await state.bulkGet(request.storeName, request.keys, request.parallelism, request.metadata);
      return {
        items: items.map((item) => ({
          key: item.key,
          data: item.state?.value ?? new Uint8Array(),
          etag: item.state?.etag ?? '',
          metadata: { ...item.state?.metadata },
          error: item.error ?? '',
        })),
      };
    },

    async saveState(request) {
      state.resolve(request.storeName);
      if (request.states.length === 0) return {};
      await state.save(request.storeName, request.states.map(saveItemOf));
      return {};
    },

    async deleteState(request) {
      await state.delete(request.storeName, request.key, request.etag?.value, request.metadata, optionsOf(request.options) ?? {});
      return {};
    },

    async deleteBulkState(request) {
      state.resolve(request.storeName);
      for (const item of request.states) {
        await state.delete(request.storeName, item.key, item.etag?.value, item.metadata, optionsOf(item.options) ?? {});
      }
      return {};
    },

    async executeStateTransaction(request) {
      const operations = request.operations.map((operation) => ({
        operation: operation.operationType,
        item: saveItemOf(operation.request),
      }));
      await state.transact(request.storeName, operations, request.metadata);
      return {};
    },

    async queryStateAlpha1(request) {
      state.resolve(request.storeName);
      let query: unknown;
      try {
        query = JSON.parse(request.query);
      } catch (error) {
        throw daprError('stateQuery', request.storeName, `failed to parse JSON query body: ${errorMessage(error)}`);
      }
      if (typeof query !== 'object' || query === null || Array.isArray(query)) {
        throw daprError('stateQuery', request.storeName, 'failed to parse JSON query body: expected an object');
      }
      const result = await state.query(request.storeName, query as StateQuery);
      if (result.results.length === 0) return {};
      return {
        results: result.results.map((item) => ({ key: item.key, data: item.value, etag: item.etag })),
        token: result.token ?? '',
      };
    },
  };
}
