import { MetadataError, MetadataReader, metadataValue, validateMetadata, type MetadataField } from '@outrigger/components-api';
import { connectionUrl, readTlsFiles, type AmqpEndpoint } from './amqp-endpoint.js';

/** `pubsub.rabbitmq` metadata, with Dapr's names and defaults (components-contrib pubsub/rabbitmq). */
export const rabbitMqPubSubMetadata: readonly MetadataField[] = [
  {
    name: 'connectionString', aliases: ['host'],
    description: 'AMQP URI, e.g. `amqp://guest:guest@localhost:5672` (`amqps://` for TLS). `host` is the deprecated spelling. When absent the URI is built from `protocol`, `hostname`, `username` and `password`.',
  },
  { name: 'protocol', kind: { oneOf: ['amqp', 'amqps'] }, description: 'Scheme used with `hostname`; must match the connection string\'s scheme when both are set.' },
  { name: 'hostname', default: 'localhost', description: 'Broker host (and `:port`) when no connection string is given.' },
  { name: 'username', description: 'User name when no connection string is given.' },
  { name: 'password', description: 'Password when no connection string is given.' },
  { name: 'consumerID', description: 'Consumer group: each subscription reads queue `<consumerID>-<topic>`, so sidecars with the same id share the messages and different ids each get every message. Defaults to the app id.' },
  { name: 'durable', kind: 'boolean', default: 'true', description: 'Declare exchanges and queues durable (they survive a broker restart).' },
  { name: 'deletedWhenUnused', kind: 'boolean', default: 'true', description: 'Declare exchanges and queues auto-delete: a queue is removed, with its messages, when its last consumer leaves. Set `false` for messages to wait for a consumer that is down.' },
  { name: 'autoAck', kind: 'boolean', default: 'false', description: 'Let the broker consider a message acknowledged as soon as it is sent (at-most-once).' },
  { name: 'requeueInFailure', kind: 'boolean', default: 'false', description: 'When the app fails a message (after the sidecar\'s own retries), put it back in the queue; otherwise it is dropped, or dead-lettered with `enableDeadLetter`.' },
  { name: 'deliveryMode', kind: 'integer', default: '0', description: '2 publishes persistent messages (written to disk in durable queues); 0 or 1 transient.' },
  { name: 'prefetchCount', kind: 'integer', default: '0', description: 'Unacknowledged messages the broker sends one subscription at a time; 0 means no limit.' },
  { name: 'exchangeKind', kind: { oneOf: ['fanout', 'topic', 'direct', 'headers'] }, default: 'fanout', description: 'Kind of the exchange declared for each topic.' },
  { name: 'enableDeadLetter', kind: 'boolean', default: 'false', description: 'Give each queue a dead-letter exchange `dlx-<queue>` bound to queue `dlq-<queue>`, where the broker puts messages the app failed (when not requeued).' },
  { name: 'maxLen', kind: 'integer', description: 'Maximum messages in each queue (and its dead-letter queue); the oldest are dropped beyond it.' },
  { name: 'maxLenBytes', kind: 'integer', description: 'Maximum total bytes of each queue (and its dead-letter queue).' },
  { name: 'concurrency', kind: { oneOf: ['parallel', 'single'] }, default: 'parallel', description: '`parallel` hands messages to the app as they arrive; `single` one at a time per subscription.' },
  { name: 'publisherConfirm', kind: 'boolean', default: 'false', description: 'Accepted for compatibility: Outrigger always waits for the broker\'s confirm before a publish succeeds, so no message is lost silently.' },
  { name: 'ttlInSeconds', kind: 'integer', description: 'Default time-to-live of published messages; a publish\'s own `ttlInSeconds` metadata wins.' },
  { name: 'reconnectWaitSeconds', kind: 'duration', default: '3s', description: 'Wait between reconnection attempts after the connection is lost.' },
  { name: 'clientName', description: 'Connection name shown in the RabbitMQ management UI (`connection_name`).' },
  { name: 'heartBeat', kind: 'duration', default: '10s', description: 'AMQP heartbeat; a silent connection is declared dead after about twice this.' },
  { name: 'saslExternal', kind: 'boolean', default: 'false', description: 'Authenticate with the TLS client certificate (SASL EXTERNAL); needs `caCert`, `clientCert` and `clientKey`.' },
  { name: 'caCert', description: 'PEM certificate authority for `amqps`.' },
  { name: 'clientCert', description: 'PEM client certificate for `amqps`.' },
  { name: 'clientKey', description: 'PEM client key for `amqps`.' },
  { name: 'publishMessagePropertiesToMetadata', kind: 'boolean', default: 'false', description: 'Pass AMQP properties and headers to the app as `metadata.<name>` (messageid, correlationid, type, contenttype, headers).' },
];

export type Concurrency = 'parallel' | 'single';

export interface RabbitMqPubSubSettings {
  readonly endpoint: AmqpEndpoint;
  readonly consumerId: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly autoAck: boolean;
  readonly requeueInFailure: boolean;
  readonly deliveryMode: number;
  readonly prefetchCount: number;
  readonly exchangeKind: string;
  readonly enableDeadLetter: boolean;
  readonly maxLen: number | undefined;
  readonly maxLenBytes: number | undefined;
  readonly concurrency: Concurrency;
  /** Default message TTL in ms, when the component sets one. */
  readonly defaultTtlMs: number | undefined;
  readonly reconnectWaitMs: number;
  readonly publishPropertiesToMetadata: boolean;
}

/**
 * Validates and decodes the metadata as Dapr's createMetadata does (the connection string's scheme
 * must agree with `protocol`, deliveryMode 0–2, a known exchange kind, TLS files all-or-nothing for SASL EXTERNAL).
 * @throws MetadataError naming the offending field.
 */
export function parseRabbitMqPubSubSettings(metadata: Readonly<Record<string, string>>, appId: string): RabbitMqPubSubSettings {
  validateMetadata(rabbitMqPubSubMetadata, metadata);
  const read = new MetadataReader(rabbitMqPubSubMetadata, metadata);
  const deliveryMode = read.integer('deliveryMode') ?? 0;
  if (deliveryMode < 0 || deliveryMode > 2) throw new MetadataError('deliveryMode', 'invalid RabbitMQ delivery mode, accepted values are between 0 and 2');
  const prefetchCount = read.integer('prefetchCount') ?? 0;
  if (prefetchCount < 0 || prefetchCount > 65_535) throw new MetadataError('prefetchCount', 'must be between 0 and 65535');
  const consumerId = metadataValue(metadata, 'consumerID')?.trim() || appId;
  if (!consumerId) throw new MetadataError('consumerID', 'is required when the sidecar has no app id');
  const ttl = read.integer('ttlInSeconds');
  return {
    endpoint: {
      url: connectionUrl(read),
      clientName: read.string('clientName'),
      heartbeatSeconds: Math.max(0, Math.round((read.durationMs('heartBeat') ?? 10_000) / 1000)),
      tls: readTlsFiles(read, read.boolean('saslExternal') ? 'saslExternal' : undefined),
      saslExternal: read.boolean('saslExternal'),
    },
    consumerId,
    durable: read.boolean('durable'),
    autoDelete: read.boolean('deletedWhenUnused'),
    autoAck: read.boolean('autoAck'),
    requeueInFailure: read.boolean('requeueInFailure'),
    deliveryMode,
    prefetchCount,
    exchangeKind: read.string('exchangeKind') ?? 'fanout',
    enableDeadLetter: read.boolean('enableDeadLetter'),
    maxLen: positive(read.integer('maxLen')),
    maxLenBytes: positive(read.integer('maxLenBytes')),
    concurrency: read.string('concurrency') === 'single' ? 'single' : 'parallel',
    defaultTtlMs: ttl !== undefined && ttl > 0 ? ttl * 1000 : undefined,
    reconnectWaitMs: Math.max(100, read.durationMs('reconnectWaitSeconds') ?? 3_000),
    publishPropertiesToMetadata: read.boolean('publishMessagePropertiesToMetadata'),
  };
}

function positive(value: number | undefined): number | undefined {
  return value !== undefined && value > 0 ? value : undefined;
}
