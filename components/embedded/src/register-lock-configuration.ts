import type { ComponentRegistry } from '@outrigger/components-api';
import { SqliteConfigurationStore, sqliteConfigurationMetadata } from './configuration-sqlite.js';
import { InMemoryLockStore, inMemoryLockMetadata } from './lock-in-memory.js';
import { SqliteLockStore, sqliteLockMetadata } from './lock-sqlite.js';

/** Registers `lock.in-memory`, `lock.sqlite` and `configuration.sqlite`. */
export function registerLockAndConfigurationStores(registry: ComponentRegistry): void {
  registry.register({
    type: 'lock.in-memory',
    block: 'lock',
    versions: ['v1'],
    description: 'Process-local distributed lock store: coordinates callers of one sidecar only. Expiry honoured.',
    metadata: inMemoryLockMetadata,
    create: () => new InMemoryLockStore(),
  });
  registry.register({
    type: 'lock.sqlite',
    block: 'lock',
    versions: ['v1'],
    description: 'Distributed lock store in a SQLite file, shared by every sidecar on the host that opens it. Expiry honoured.',
    metadata: sqliteLockMetadata,
    create: () => new SqliteLockStore(),
  });
  registry.register({
    type: 'configuration.sqlite',
    block: 'configuration',
    versions: ['v1'],
    description: 'Configuration store in a SQLite table that any program may write; subscriptions poll a change log.',
    metadata: sqliteConfigurationMetadata,
    create: () => new SqliteConfigurationStore(),
  });
}
