import { daprError, DaprError, errorMessage } from '@outrigger/kit';
import type { SecretData, SecretStore } from '@outrigger/components-api';
import type { ComponentHost } from '../../components/component-host.js';
import { componentMetricsOf, timed } from '../../observability/metrics-components.js';
import type { SecretScopes } from './secret-scopes.js';

/**
 * The secrets building block, shared by the HTTP and gRPC APIs: store lookup, secret scopes
 * and the mapping of store errors onto Dapr's error codes. Checks run in daprd's order:
 * any store loaded → the named store exists → the secret is in scope → the store is asked.
 */
export class SecretsApi {
  constructor(private readonly host: ComponentHost, private readonly scopes: SecretScopes) {}

  /** @throws DaprError when no secret store or none of that name is loaded. */
  resolve(storeName: string): SecretStore {
    const stores = this.host.ofBlock('secretstores');
    if (stores.length === 0) throw daprError('secretStoresNotConfigured');
    const component = stores.find((candidate) => candidate.name === storeName);
    if (!component) throw daprError('secretStoreNotFound', storeName);
    return component.instance as SecretStore;
  }

  /**
   * Reads one secret.
   * @returns its key/value pairs, or undefined when the store has no data for it (HTTP 204).
   * @throws DaprError: store missing, `ERR_PERMISSION_DENIED` when scopes deny it, `ERR_SECRET_GET` when the store fails.
   */
  async get(storeName: string, key: string, metadata: Readonly<Record<string, string>>): Promise<SecretData | undefined> {
    const store = this.resolve(storeName);
    if (!this.scopes.isAllowed(storeName, key)) throw daprError('secretPermissionDenied', goQuoted(key), goQuoted(storeName));
    try {
      return await timed(() => store.getSecret({ name: key, metadata }), (success, elapsedMs) => componentMetricsOf(this.host).secret(storeName, 'get', success, elapsedMs));
    } catch (error) {
      if (error instanceof DaprError) throw error;
      throw daprError('secretGet', key, storeName, errorMessage(error));
    }
  }

  /**
   * Reads every secret of a store. Secrets the scopes deny are left out, not reported as errors, as in daprd.
   * @throws DaprError: store missing, or `ERR_SECRET_GET` when the store fails.
   */
  async bulkGet(storeName: string, metadata: Readonly<Record<string, string>>): Promise<Record<string, SecretData>> {
    const store = this.resolve(storeName);
    let all: Readonly<Record<string, SecretData>>;
    try {
      all = await timed(() => store.bulkGetSecret({ metadata }), (success, elapsedMs) => componentMetricsOf(this.host).secret(storeName, 'bulk_get', success, elapsedMs));
    } catch (error) {
      if (error instanceof DaprError) throw error;
      throw daprError('secretBulkGet', storeName, errorMessage(error));
    }
    const allowed: Record<string, SecretData> = {};
    for (const [name, data] of Object.entries(all)) {
      if (this.scopes.isAllowed(storeName, name)) allowed[name] = data;
    }
    return allowed;
  }
}

/** The inside of Go's %q for ordinary strings: backslashes and quotes escaped (the template adds the quotes). */
function goQuoted(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}
