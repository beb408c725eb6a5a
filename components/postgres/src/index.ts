import type { ComponentRegistry } from '@outrigger/components-api';
import { PostgresBinding, postgresBindingMetadata } from './bindings/postgres-binding.js';
import { PostgresConfigurationStore, postgresConfigurationMetadata } from './configuration/postgres-configuration-store.js';
import { PostgresStateStore } from './state/postgres-state-store.js';
import { postgresStateMetadata } from './state/state-settings.js';

export { PostgresStateStore } from './state/postgres-state-store.js';
export { postgresStateMetadata, readStateSettings, type PostgresStateSettings } from './state/state-settings.js';
export { PostgresBinding, postgresBindingMetadata } from './bindings/postgres-binding.js';
export { PostgresConfigurationStore, postgresConfigurationMetadata } from './configuration/postgres-configuration-store.js';
export { parseConnectionString, type PostgresConnection } from './connection-string.js';
export { postgresConnectionFields } from './pool-settings.js';

/** Registers `state.postgresql`, `bindings.postgresql` and `configuration.postgresql`, each with Dapr's `postgres` alias. */
export function registerPostgresComponents(registry: ComponentRegistry): void {
  registry.register({
    type: 'state.postgresql',
    aliases: ['state.postgres'],
    block: 'state',
    versions: ['v1'],
    description: "State store in a PostgreSQL table with Dapr's v1 layout (jsonb values, xmin ETags). Transactions, TTL and queries.",
    metadata: postgresStateMetadata,
    create: () => new PostgresStateStore(),
  });
  registry.register({
    type: 'bindings.postgresql',
    aliases: ['bindings.postgres'],
    block: 'bindings',
    versions: ['v1'],
    description: 'Output binding running SQL on PostgreSQL: exec, query and close.',
    metadata: postgresBindingMetadata,
    create: () => new PostgresBinding(),
  });
  registry.register({
    type: 'configuration.postgresql',
    aliases: ['configuration.postgres'],
    block: 'configuration',
    versions: ['v1'],
    description: 'Configuration store reading a PostgreSQL table; subscriptions LISTEN on a channel your trigger NOTIFYs.',
    metadata: postgresConfigurationMetadata,
    create: () => new PostgresConfigurationStore(),
  });
}
