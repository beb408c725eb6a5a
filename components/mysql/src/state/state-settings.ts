import { MetadataError, metadataValue, type MetadataField } from '@outrigger/components-api';
import { parseDuration } from '@outrigger/kit';
import { parseMysqlDsn, type MysqlDsn } from '../dsn.js';

/** Dapr's `state.mysql` metadata (components-contrib `state/mysql/metadata.yaml`). */
export const mysqlStateMetadata: readonly MetadataField[] = [
  {
    name: 'connectionString', required: true,
    description: 'Go driver DSN without a database: `<user>:<password>@tcp(<server>:3306)/?allowNativePasswords=true`; add `&tls=custom` with `pemPath` for TLS.',
  },
  { name: 'schemaName', default: 'dapr_state_store', description: 'The database (schema) holding the tables; created when missing.' },
  { name: 'tableName', default: 'state', description: 'Table holding the state rows; created when missing.' },
  { name: 'metadataTableName', default: 'dapr_metadata', description: 'Table holding the last clean-up time; created when missing.' },
  { name: 'timeoutInSeconds', kind: 'integer', default: '20', description: 'Timeout for connecting and for every database operation, in seconds.' },
  {
    name: 'cleanupInterval', aliases: ['cleanupIntervalInSeconds'], kind: 'duration', default: '1h',
    description: 'How often rows past their TTL are deleted (a bare number means seconds); 0 or less disables the clean-up. Expired rows are never returned either way.',
  },
  { name: 'pemPath', description: 'Path of the CA certificate (PEM) used when the connection string says `tls=custom`.' },
];

export interface MysqlStateSettings {
  readonly dsn: MysqlDsn;
  readonly schemaName: string;
  readonly tableName: string;
  readonly metadataTableName: string;
  readonly timeoutMs: number;
  readonly cleanupIntervalMs: number | undefined;
}

/**
 * Validates and decodes the store's metadata.
 * @throws MetadataError naming the offending field.
 */
export function readStateSettings(metadata: Readonly<Record<string, string>>): MysqlStateSettings {
  const value = (name: string): string | undefined => {
    const field = mysqlStateMetadata.find((candidate) => candidate.name === name);
    const raw = metadataValue(metadata, name, ...(field?.aliases ?? []));
    return raw === undefined || raw.trim() === '' ? field?.default : raw;
  };
  const connectionString = value('connectionString');
  if (!connectionString) throw new MetadataError('connectionString', 'missing connection string');
  const timeoutSeconds = Number(value('timeoutInSeconds') ?? '20');
  const cleanupMs = parseDuration(value('cleanupInterval') ?? '1h');
  return {
    dsn: parseMysqlDsn(connectionString, 'connectionString', value('pemPath')),
    schemaName: identifier('schemaName', value('schemaName') ?? 'dapr_state_store'),
    tableName: identifier('tableName', value('tableName') ?? 'state'),
    metadataTableName: identifier('metadataTableName', value('metadataTableName') ?? 'dapr_metadata'),
    // Dapr: a value of 0 or less means the default.
    timeoutMs: (timeoutSeconds > 0 ? timeoutSeconds : 20) * 1000,
    cleanupIntervalMs: cleanupMs > 0 ? cleanupMs : undefined,
  };
}

/** Dapr's rule for names spliced into SQL: ASCII letters, digits and underscores only. */
function identifier(field: string, name: string): string {
  if (!/^[A-Za-z0-9_]+$/.test(name) || name.length > 64) throw new MetadataError(field, `${field} '${name}' is not valid`);
  return name;
}
