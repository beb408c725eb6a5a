import { MetadataError, metadataValue, type MetadataField } from '@outrigger/components-api';
import { parseDuration } from '@outrigger/kit';
import { fieldValue, postgresConnectionFields, readPoolSettings, type PoolSettings } from '../pool-settings.js';

/** Dapr's `state.postgresql` v1 metadata (components-contrib `state/postgresql/v1/metadata.yaml`). */
export const postgresStateMetadata: readonly MetadataField[] = [
  ...postgresConnectionFields,
  { name: 'tableName', default: 'state', description: 'Table holding the state rows, `table` or `schema.table`; created when missing.' },
  { name: 'metadataTableName', default: 'dapr_metadata', description: 'Table holding the schema version and the last clean-up time, `table` or `schema.table`.' },
  {
    name: 'cleanupInterval', aliases: ['cleanupIntervalInSeconds'], kind: 'duration', default: '1h',
    description: 'How often rows past their TTL are deleted (a bare number means seconds); 0 or less disables the clean-up. Expired rows are never returned either way.',
  },
];

export interface PostgresStateSettings extends PoolSettings {
  readonly tableName: string;
  readonly metadataTableName: string;
  /** Undefined when the clean-up is disabled. */
  readonly cleanupIntervalMs: number | undefined;
}

/**
 * Validates and decodes the store's metadata.
 * @throws MetadataError naming the offending field.
 */
export function readStateSettings(metadata: Readonly<Record<string, string>>): PostgresStateSettings {
  const value = (name: string) => fieldValue(postgresStateMetadata, metadata, name);
  // Dapr: an empty cleanupInterval means the default, an explicit 0 (or less) disables it.
  const cleanupRaw = metadataValue(metadata, 'cleanupInterval', 'cleanupIntervalInSeconds');
  const cleanupMs = cleanupRaw === undefined || cleanupRaw.trim() === '' ? 3_600_000 : parseDuration(cleanupRaw);
  return {
    ...readPoolSettings(postgresStateMetadata, metadata),
    tableName: tableIdentifier('tableName', value('tableName') ?? 'state'),
    metadataTableName: tableIdentifier('metadataTableName', value('metadataTableName') ?? 'dapr_metadata'),
    cleanupIntervalMs: cleanupMs > 0 ? cleanupMs : undefined,
  };
}

/**
 * Table names are spliced into SQL (PostgreSQL has no parameters for identifiers), so only plain
 * identifiers, optionally schema-qualified, are accepted. Unquoted, as Dapr writes them: PostgreSQL folds them to lower case.
 */
export function tableIdentifier(field: string, name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(name) || name.length > 127) {
    throw new MetadataError(field, `invalid table name "${name}": use letters, digits and underscores, optionally as schema.table`);
  }
  return name;
}
