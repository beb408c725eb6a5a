import { MetadataError, MetadataReader, validateMetadata, type MetadataField } from '@outrigger/components-api';
import type { AmqpEndpoint } from './amqp-endpoint.js';
import { readTlsFiles } from './amqp-endpoint.js';

/** `bindings.rabbitmq` metadata, with Dapr's names and defaults (components-contrib bindings/rabbitmq). */
export const rabbitMqBindingMetadata: readonly MetadataField[] = [
  { name: 'host', required: true, description: 'AMQP URI of the broker, e.g. `amqp://guest:guest@localhost:5672` (`amqps://` for TLS).' },
  { name: 'queueName', required: true, description: 'Queue the binding declares, reads (input) and sends to through the default exchange (output).' },
  { name: 'durable', kind: 'boolean', default: 'false', description: 'Declare the queue durable (it survives a broker restart); messages are always sent persistent.' },
  { name: 'deleteWhenUnused', kind: 'boolean', default: 'false', description: 'Declare the queue auto-delete.' },
  { name: 'exclusive', kind: 'boolean', default: 'false', description: 'Declare the queue exclusive to this connection.' },
  { name: 'ttlInSeconds', aliases: ['ttl'], kind: 'duration', description: 'Queue-level message time-to-live (`x-message-ttl`); a request\'s own `ttlInSeconds` metadata sets a per-message expiry.' },
  { name: 'prefetchCount', kind: 'integer', default: '0', description: 'Unacknowledged messages the broker sends the input at a time; 0 means no limit.' },
  { name: 'maxPriority', kind: 'integer', description: 'Make the queue a priority queue with priorities up to this value (1–255); a request\'s `priority` metadata sets a message\'s priority.' },
  { name: 'contentType', default: 'text/plain', description: 'Content type of sent messages; a request\'s `contentType` metadata wins.' },
  { name: 'reconnectWaitInSeconds', kind: 'duration', default: '5s', description: 'Wait between reconnection attempts after the connection is lost.' },
  { name: 'caCert', description: 'PEM certificate authority for `amqps`.' },
  { name: 'clientCert', description: 'PEM client certificate for `amqps`.' },
  { name: 'clientKey', description: 'PEM client key for `amqps`.' },
  { name: 'externalSasl', aliases: ['saslExternal'], kind: 'boolean', default: 'false', description: 'Authenticate with the TLS client certificate (SASL EXTERNAL).' },
];

export interface RabbitMqBindingSettings {
  readonly endpoint: AmqpEndpoint;
  readonly queue: string;
  readonly durable: boolean;
  readonly autoDelete: boolean;
  readonly exclusive: boolean;
  readonly queueTtlMs: number | undefined;
  readonly prefetchCount: number;
  readonly maxPriority: number | undefined;
  readonly contentType: string;
  readonly reconnectWaitMs: number;
}

/** @throws MetadataError naming the offending field. */
export function parseRabbitMqBindingSettings(metadata: Readonly<Record<string, string>>): RabbitMqBindingSettings {
  validateMetadata(rabbitMqBindingMetadata, metadata);
  const read = new MetadataReader(rabbitMqBindingMetadata, metadata);
  const host = read.string('host') ?? '';
  try {
    const scheme = new URL(host).protocol;
    if (scheme !== 'amqp:' && scheme !== 'amqps:') throw new Error(scheme);
  } catch {
    throw new MetadataError('host', 'must be an amqp:// or amqps:// URI');
  }
  const maxPriority = read.integer('maxPriority');
  const prefetchCount = read.integer('prefetchCount') ?? 0;
  if (prefetchCount < 0 || prefetchCount > 65_535) throw new MetadataError('prefetchCount', 'must be between 0 and 65535');
  const ttlMs = read.durationMs('ttlInSeconds');
  return {
    endpoint: { url: host, heartbeatSeconds: 10, tls: readTlsFiles(read, read.boolean('externalSasl') ? 'externalSasl' : undefined), saslExternal: read.boolean('externalSasl') },
    queue: read.string('queueName') ?? '',
    durable: read.boolean('durable'),
    autoDelete: read.boolean('deleteWhenUnused'),
    exclusive: read.boolean('exclusive'),
    queueTtlMs: ttlMs !== undefined && ttlMs > 0 ? Math.round(ttlMs) : undefined,
    prefetchCount,
    maxPriority: maxPriority === undefined ? undefined : Math.max(0, Math.min(maxPriority, 255)),
    contentType: read.string('contentType') ?? 'text/plain',
    reconnectWaitMs: Math.max(100, read.durationMs('reconnectWaitInSeconds') ?? 5_000),
  };
}
