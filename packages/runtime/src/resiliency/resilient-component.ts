import {
  EtagInvalidError, EtagMismatchError, InvalidStateRequestError, SecretNotFoundError, type Component,
} from '@outrigger/components-api';
import { PermanentError } from './errors.js';
import type { PolicyRunner } from './resiliency.js';

/**
 * The calls from the sidecar into a component that outbound policies cover, per building block.
 * Subscriptions and input binding reads are long-lived, not calls, so they are left alone.
 */
export const outboundOperations: Readonly<Record<string, readonly string[]>> = {
  state: ['get', 'set', 'delete', 'bulkGet', 'bulkSet', 'bulkDelete', 'transact', 'query'],
  pubsub: ['publish', 'bulkPublish'],
  bindings: ['invoke'],
  secretstores: ['getSecret', 'bulkGetSecret'],
  configuration: ['get'],
  lock: ['tryLock', 'unlock'],
};

/** Refusals of the request itself: the store is fine, so they are neither retried nor held against it. */
function refusesTheRequest(error: unknown): boolean {
  return error instanceof EtagMismatchError || error instanceof EtagInvalidError
    || error instanceof InvalidStateRequestError || error instanceof SecretNotFoundError;
}

/**
 * The component with its outbound operations run through `runner`; everything else (init, close,
 * features, subscribe, read) reaches the component unchanged. The errors callers see are the
 * component's own (or the policies' timeout and open-breaker errors), so each block maps them to
 * its usual Dapr error, as daprd does.
 */
export function withOutboundPolicies<T extends Component>(instance: T, block: string, runner: PolicyRunner): T {
  const operations = new Set(outboundOperations[block] ?? []);
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(instance, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      let found = wrapped.get(property);
      if (found === undefined) {
        const method = value as (...args: unknown[]) => unknown;
        found = operations.has(String(property))
          ? (...args: unknown[]) => runner.run(async () => {
            try {
              return await method.apply(target, args);
            } catch (error) {
              throw refusesTheRequest(error) ? new PermanentError(error, true) : error;
            }
          })
          // Bound to the component itself, so its private fields work behind the proxy.
          : method.bind(target);
        wrapped.set(property, found);
      }
      return found;
    },
  });
}
