import { secretsRoutes } from '../../api/http/secrets-routes.js';
import type { SidecarBlock, SidecarContext } from '../sidecar-block.js';
import { SecretScopes } from './secret-scopes.js';
import { SecretsApi } from './secrets-api.js';

/**
 * The secrets building block: the secrets API over the loaded `secretstores.*` components, limited by
 * the Configuration's secret scopes. (Resolving `secretKeyRef` in component metadata happens earlier,
 * in the ComponentHost, because components need their secrets before any block exists.)
 * @throws ResourceError when a Configuration's secret scopes are invalid, which stops start-up as in daprd.
 */
export function secretsBlock(context: SidecarContext): SidecarBlock {
  const secrets = new SecretsApi(context.components, SecretScopes.fromConfigurations(context.resources.configurations));
  return { name: 'secrets', routes: () => secretsRoutes(secrets), grpc: async () => (await import('../../api/grpc/secrets-methods.js')).secretsMethods(secrets) };
}
