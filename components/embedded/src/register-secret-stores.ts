import type { ComponentRegistry } from '@outrigger/components-api';
import { LocalEnvSecretStore, localEnvSecretStoreMetadata } from './local-env-secret-store.js';
import { LocalFileSecretStore, localFileSecretStoreMetadata } from './local-file-secret-store.js';

/** Registers Dapr's two local secret stores: `secretstores.local.file` and `secretstores.local.env`. */
export function registerLocalSecretStores(registry: ComponentRegistry): void {
  registry.register({
    type: 'secretstores.local.file',
    block: 'secretstores',
    versions: ['v1'],
    description: 'Secrets from a local JSON file, read at start-up; nested keys are joined with nestedSeparator. For local development.',
    metadata: localFileSecretStoreMetadata,
    create: () => new LocalFileSecretStore(),
  });
  registry.register({
    type: 'secretstores.local.env',
    block: 'secretstores',
    versions: ['v1'],
    description: 'The sidecar\'s environment variables as secrets, optionally only those with a prefix. APP_API_TOKEN and DAPR_* are never given out.',
    metadata: localEnvSecretStoreMetadata,
    create: () => new LocalEnvSecretStore(),
  });
}
