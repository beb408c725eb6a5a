import { MetadataError, metadataValue, validateMetadata, type MetadataField } from '@outrigger/components-api';
import { parseDuration } from '@outrigger/kit';
import { consumerGroup, DEFAULT_CONCURRENCY, positiveInteger } from './pubsub-common.js';
import { parseConnectionString } from './sqlite-settings.js';

/** `pubsub.sqlite` metadata: an Outrigger component, so these names are ours (kept close to `state.sqlite`'s). */
export const sqlitePubSubMetadata: readonly MetadataField[] = [
  {
    name: 'connectionString', aliases: ['url'], required: true,
    description: 'Database file shared by every sidecar using the broker: a path, a `file:` URI, or `:memory:` for a process-local broker.',
  },
  {
    name: 'consumerID',
    description: 'Consumer group: subscriptions with the same id share the messages of a topic, different ids each get every message. Defaults to the app id.',
  },
  {
    name: 'visibilityTimeout', kind: 'duration', default: '30s',
    description: 'How long a fetched message stays reserved for its consumer; if the consumer dies without acknowledging, the message is delivered again after this. Leases of live consumers are renewed, so long handlers are not affected.',
  },
  {
    name: 'pollInterval', kind: 'duration', default: '50ms',
    description: 'How often an idle subscription looks for new messages; while messages keep coming it fetches again at once.',
  },
  {
    name: 'concurrency', aliases: ['maxDeliveryBatch'], kind: 'integer', default: String(DEFAULT_CONCURRENCY),
    description: 'Messages one subscription fetches and handles at the same time.',
  },
  {
    name: 'retentionPeriod', kind: 'duration', default: '0',
    description: 'Unacknowledged messages older than this are deleted (for consumer groups that never come back); 0 keeps them until acknowledged or expired.',
  },
  {
    name: 'unclaimedRetention', kind: 'duration', default: '1h',
    description: 'How long a message published to a topic that no consumer group has subscribed to yet waits for the first group to subscribe; 0 drops such messages.',
  },
  { name: 'cleanupInterval', kind: 'duration', default: '1m', description: 'How often expired messages and messages past the retention period are deleted; 0 disables the clean-up.' },
  { name: 'busyTimeout', kind: 'duration', default: '2s', description: 'How long a write waits for another process\'s lock (SQLite busy_timeout).' },
  { name: 'tablePrefix', default: 'pubsub_', description: 'Prefix of the broker\'s tables, so one file can also hold `state.sqlite` tables; letters, digits and underscores.' },
];

export interface SqlitePubSubSettings {
  readonly filename: string;
  readonly memory: boolean;
  readonly pragmas: readonly (readonly [string, string])[];
  readonly group: string;
  readonly visibilityTimeoutMs: number;
  readonly pollIntervalMs: number;
  readonly concurrency: number;
  /** 0: no retention limit. */
  readonly retentionMs: number;
  /** 0: a message published to a topic with no group is dropped. */
  readonly unclaimedRetentionMs: number;
  /** 0: no clean-up timer. */
  readonly cleanupIntervalMs: number;
  readonly busyTimeoutMs: number;
  readonly tablePrefix: string;
}

/**
 * Validates and decodes the component metadata.
 * @throws MetadataError naming the offending field.
 */
export function parseSqlitePubSubSettings(metadata: Readonly<Record<string, string>>, appId: string): SqlitePubSubSettings {
  validateMetadata(sqlitePubSubMetadata, metadata);
  const duration = (name: string): number => {
    const field = sqlitePubSubMetadata.find((candidate) => candidate.name === name);
    const raw = metadataValue(metadata, name);
    return parseDuration(raw === undefined || raw === '' ? (field?.default ?? '0') : raw);
  };
  const connection = parseConnectionString(metadataValue(metadata, 'connectionString', 'url') ?? '');
  if (connection.readonly) throw new MetadataError('connectionString', 'a pub/sub broker cannot open its database read-only');
  const visibilityTimeoutMs = duration('visibilityTimeout');
  if (visibilityTimeoutMs < 100) throw new MetadataError('visibilityTimeout', 'must be at least 100ms');
  const prefix = metadataValue(metadata, 'tablePrefix') || 'pubsub_';
  if (!/^[A-Za-z0-9_]+$/.test(prefix)) throw new MetadataError('tablePrefix', `invalid identifier: ${prefix}`);
  return {
    filename: connection.filename,
    memory: connection.memory,
    pragmas: connection.pragmas,
    group: consumerGroup(metadata, appId),
    visibilityTimeoutMs,
    // At least 1 ms, so an idle subscription never spins.
    pollIntervalMs: Math.max(1, duration('pollInterval')),
    concurrency: positiveInteger(metadata, 'concurrency', DEFAULT_CONCURRENCY, 'maxDeliveryBatch'),
    retentionMs: Math.max(0, duration('retentionPeriod')),
    unclaimedRetentionMs: Math.max(0, duration('unclaimedRetention')),
    cleanupIntervalMs: Math.max(0, duration('cleanupInterval')),
    busyTimeoutMs: Math.max(0, Math.trunc(duration('busyTimeout'))),
    tablePrefix: prefix,
  };
}
