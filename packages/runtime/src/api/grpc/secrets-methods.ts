// Dapr secrets API over gRPC: GetSecret and GetBulkSecret.
import type { SecretsApi } from '../../blocks/secrets/secrets-api.js';
import type { DaprMethods } from './dapr-service.js';

/** The secrets block's gRPC methods over the same {@link SecretsApi} (and secret scopes) as the HTTP routes. */
export function secretsMethods(secrets: SecretsApi): DaprMethods {
  return {
    async getSecret(request) {
      const data = await secrets.get(request.storeName, request.key, request.metadata);
      return { data: { ...data } };
    },
    async getBulkSecret(request) {
      const all = await secrets.bulkGet(request.storeName, request.metadata);
      return { data: Object.fromEntries(Object.entries(all).map(([name, secret]) => [name, { secrets: { ...secret } }])) };
    },
  };
}
