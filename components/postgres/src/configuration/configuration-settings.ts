import { MetadataError, type MetadataField } from '@outrigger/components-api';
import { fieldValue, postgresConnectionFields, readPoolSettings, type PoolSettings } from '../pool-settings.js';

/** PostgreSQL's identifier limit, which Dapr applies to the table and channel names. */
const MAX_IDENTIFIER_LENGTH = 64;

/** Dapr's `configuration.postgres` metadata (components-contrib `configuration/postgres/metadata.yaml`). */
export const postgresConfigurationMetadata: readonly MetadataField[] = [
  ...postgresConnectionFields.map((field) => (field.name === 'connectionMaxIdleTime' ? { ...field, aliases: ['connMaxIdleTime'] } : field)),
  { name: 'table', required: true, description: 'The table holding the items (columns key, value, version, metadata); it must exist. Lower case letters, digits and underscores, optionally schema.table.' },
  {
    name: 'notifyChannel', aliases: ['pgNotifyChannel'],
    description: 'The channel your trigger sends changes on (pg_notify); subscriptions LISTEN on it. When empty, each subscribe request names it in its metadata `pgNotifyChannel`.',
  },
];

export interface ConfigurationSettings extends PoolSettings {
  readonly table: string;
  readonly notifyChannel: string | undefined;
}

/** @throws MetadataError naming the offending field. */
export function readConfigurationSettings(metadata: Readonly<Record<string, string>>): ConfigurationSettings {
  const value = (name: string) => fieldValue(postgresConfigurationMetadata, metadata, name);
  const table = value('table') ?? '';
  if (table === '') throw new MetadataError('table', 'missing postgreSQL configuration table name');
  if (table.length > MAX_IDENTIFIER_LENGTH) throw new MetadataError('table', `table name is too long - tableName : '${table}'. max allowed field length is ${MAX_IDENTIFIER_LENGTH}`);
  if (!/^[a-z0-9_]+(\.[a-z0-9_]+)?$/.test(table)) {
    throw new MetadataError('table', `invalid table name '${table}'. non-alphanumerics or upper cased table names are not supported`);
  }
  const channel = value('notifyChannel');
  if (channel !== undefined) checkChannel(channel, (message) => new MetadataError('notifyChannel', message));
  return { ...readPoolSettings(postgresConfigurationMetadata, metadata), table, notifyChannel: channel };
}

/** Dapr's rules for a channel name: at most 64 characters, lower case letters, digits, `.`, `/` and `_`. */
export function checkChannel(channel: string, fail: (message: string) => Error): void {
  if (channel.length > MAX_IDENTIFIER_LENGTH) throw fail(`notifyChannel name is too long - "${channel}". max allowed length is ${MAX_IDENTIFIER_LENGTH}`);
  if (!/^[a-z0-9./_]+$/.test(channel)) throw fail(`invalid notifyChannel name "${channel}". non-alphanumerics or upper cased names are not supported`);
}
