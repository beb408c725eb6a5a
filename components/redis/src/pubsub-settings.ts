import { MetadataError, type MetadataField } from '@outrigger/components-api';
import { parseDuration } from '@outrigger/kit';
import { field, integer, parseConnectionSettings, redisConnectionMetadata, redisDuration, type RedisConnectionSettings } from './settings.js';

/** `pubsub.redis` metadata: the connection fields plus the stream ones (components-contrib `pubsub/redis/metadata.yaml`). */
export const redisPubSubMetadata: readonly MetadataField[] = [
  ...redisConnectionMetadata,
  { name: 'consumerID', description: 'Consumer group of the component\'s subscriptions (also its consumer name, as in Dapr). Default: the app id.' },
  { name: 'redeliverInterval', kind: 'duration', default: '15s', description: 'How often pending messages are checked for redelivery (a bare number is milliseconds). `0` disables redelivery.' },
  { name: 'processingTimeout', kind: 'duration', default: '60s', description: 'How long a message may stay pending, unacknowledged and not renewed, before another consumer of the group takes it over (a bare number is milliseconds). `0` disables redelivery.' },
  { name: 'queueDepth', kind: 'integer', default: '100', description: 'Most entries one stream read fetches; a subscription never fetches more than it has free handler slots.' },
  { name: 'concurrency', kind: 'integer', default: '10', description: 'Messages one subscription hands to the app at once.' },
  { name: 'maxLenApprox', kind: 'integer', description: 'Trim each stream to about this many entries on publish (`XADD MAXLEN ~`). Trimmed entries are lost even if a group has not read them.' },
  { name: 'streamTTL', kind: 'duration', description: 'Trim entries older than this on publish (`XADD MINID ~`); ignored when `maxLenApprox` is set.' },
];

export interface RedisPubSubSettings {
  readonly connection: RedisConnectionSettings;
  readonly consumerID: string;
  /** 0: no redelivery. */
  readonly redeliverIntervalMs: number;
  /** 0: no redelivery. */
  readonly processingTimeoutMs: number;
  readonly queueDepth: number;
  readonly concurrency: number;
  readonly maxLenApprox: number;
  readonly streamTTLMs: number;
}

/** Decodes the metadata with Dapr's defaults. @throws MetadataError naming the offending field. */
export function parseRedisPubSubSettings(metadata: Readonly<Record<string, string>>, appId: string): RedisPubSubSettings {
  const connection = parseConnectionSettings(metadata, redisPubSubMetadata, 'pubsub');
  const get = (name: string): string | undefined => field(metadata, redisPubSubMetadata, name);
  const consumerID = get('consumerID') ?? appId;
  if (consumerID === '') throw new MetadataError('consumerID', 'is required when the sidecar has no app id');
  let streamTTLMs = 0;
  const ttl = get('streamTTL');
  if (ttl !== undefined) {
    try {
      streamTTLMs = Math.max(0, parseDuration(ttl));
    } catch {
      throw new MetadataError('streamTTL', `"${ttl}" is not a duration`);
    }
  }
  return {
    connection,
    consumerID,
    redeliverIntervalMs: Math.max(0, redisDuration('redeliverInterval', get('redeliverInterval'), 15_000)),
    processingTimeoutMs: Math.max(0, redisDuration('processingTimeout', get('processingTimeout'), 60_000)),
    queueDepth: integer('queueDepth', get('queueDepth'), 100, 1),
    concurrency: integer('concurrency', get('concurrency'), 10, 1),
    maxLenApprox: integer('maxLenApprox', get('maxLenApprox'), 0, 0),
    streamTTLMs,
  };
}
