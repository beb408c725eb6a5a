import type { ComponentRegistry } from '@outrigger/components-api';
import { MysqlBinding, mysqlBindingMetadata } from './bindings/mysql-binding.js';
import { MysqlStateStore } from './state/mysql-state-store.js';
import { mysqlStateMetadata } from './state/state-settings.js';

export { MysqlStateStore } from './state/mysql-state-store.js';
export { mysqlStateMetadata, readStateSettings, type MysqlStateSettings } from './state/state-settings.js';
export { MysqlBinding, mysqlBindingMetadata } from './bindings/mysql-binding.js';
export { parseMysqlDsn, type MysqlDsn } from './dsn.js';

/** Registers `state.mysql` and `bindings.mysql` (MySQL and MariaDB). */
export function registerMysqlComponents(registry: ComponentRegistry): void {
  registry.register({
    type: 'state.mysql',
    block: 'state',
    versions: ['v1'],
    description: "State store in a MySQL or MariaDB table with Dapr's layout (JSON values, UUID ETags). Transactions and TTL.",
    metadata: mysqlStateMetadata,
    create: () => new MysqlStateStore(),
  });
  registry.register({
    type: 'bindings.mysql',
    block: 'bindings',
    versions: ['v1'],
    description: 'Output binding running SQL on MySQL or MariaDB: exec, query and close.',
    metadata: mysqlBindingMetadata,
    create: () => new MysqlBinding(),
  });
}
