import type { ComponentRegistry } from '@outrigger/components-api';
import { InMemoryStateStore, inMemoryMetadata } from './in-memory.js';
import { SqliteStateStore } from './sqlite.js';
import { sqliteMetadata } from './sqlite-settings.js';
import { registerBindingComponents } from './bindings/register-bindings.js';
import { registerLocalSecretStores } from './register-secret-stores.js';
import { registerLockAndConfigurationStores } from './register-lock-configuration.js';
import { registerEmbeddedPubSubs } from './register-pubsub.js';

export { InMemoryStateStore, inMemoryMetadata } from './in-memory.js';
export { SqliteStateStore } from './sqlite.js';
export { sqliteMetadata, parseSqliteSettings, parseConnectionString, type SqliteSettings } from './sqlite-settings.js';
export { registerBindingComponents } from './bindings/register-bindings.js';
export { LocalFileSecretStore, localFileSecretStoreMetadata } from './local-file-secret-store.js';
export { LocalEnvSecretStore, localEnvSecretStoreMetadata } from './local-env-secret-store.js';
export { registerLocalSecretStores } from './register-secret-stores.js';
export { InMemoryLockStore, inMemoryLockMetadata } from './lock-in-memory.js';
export { SqliteLockStore, sqliteLockMetadata } from './lock-sqlite.js';
export { SqliteConfigurationStore, sqliteConfigurationMetadata } from './configuration-sqlite.js';
export { registerLockAndConfigurationStores } from './register-lock-configuration.js';
export { InMemoryPubSub, inMemoryPubSubMetadata } from './pubsub-in-memory.js';
export { InMemoryBroker } from './pubsub-in-memory-broker.js';
export { SqlitePubSub } from './pubsub-sqlite.js';
export { sqlitePubSubMetadata, parseSqlitePubSubSettings, type SqlitePubSubSettings } from './pubsub-sqlite-settings.js';
export { registerEmbeddedPubSubs } from './register-pubsub.js';

/** Registers the components that need no external server: state stores, pub/sub brokers, bindings, secret, lock and configuration stores. */
export function registerEmbeddedComponents(registry: ComponentRegistry): void {
  registry.register({
    type: 'state.in-memory',
    block: 'state',
    versions: ['v1'],
    description: 'Process-local state store; data is lost when the sidecar stops. ETags, transactions, TTL and queries.',
    metadata: inMemoryMetadata,
    create: () => new InMemoryStateStore(),
  });
  registry.register({
    type: 'state.sqlite',
    aliases: ['state.sqlite3'],
    block: 'state',
    versions: ['v1'],
    description: 'State store in a SQLite database file, safe to share between processes on one host. ETags, transactions, TTL and queries.',
    metadata: sqliteMetadata,
    create: () => new SqliteStateStore(),
  });
  registerBindingComponents(registry);
  registerLocalSecretStores(registry);
  registerLockAndConfigurationStores(registry);
  registerEmbeddedPubSubs(registry);
}
