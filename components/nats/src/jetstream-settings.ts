import { MetadataError, MetadataReader, validateMetadata, type MetadataField } from '@outrigger/components-api';
import { parseDuration } from '@outrigger/kit';

/** `pubsub.jetstream` metadata, with Dapr's names and defaults (components-contrib pubsub/jetstream). */
export const jetStreamMetadata: readonly MetadataField[] = [
  { name: 'natsURL', required: true, description: 'NATS server URL, e.g. `nats://localhost:4222` (several comma-separated).' },
  { name: 'jwt', description: 'User JWT, with `seedKey` (decentralised auth).' },
  { name: 'seedKey', description: 'User seed (nkey), with `jwt`.' },
  { name: 'token', description: 'Authentication token.' },
  { name: 'tls_client_cert', description: 'File path of a PEM client certificate, with `tls_client_key`.' },
  { name: 'tls_client_key', description: 'File path of the client certificate\'s PEM key.' },
  { name: 'name', default: 'dapr.io - pubsub.jetstream', description: 'Connection name shown by the server.' },
  { name: 'streamName', description: 'Stream the consumers are made on; when empty, the stream whose subjects include the topic. The stream must exist: the component creates none.' },
  { name: 'durableName', description: 'Name of a durable consumer: it keeps its position while no sidecar runs, and sidecars with the same name share the messages. Without it each subscription uses an ephemeral consumer.' },
  { name: 'queueGroupName', description: 'Shares a topic\'s messages among the sidecars of a group; with pull consumers this is the durable consumer\'s name when `durableName` is empty.' },
  { name: 'startSequence', kind: 'integer', description: 'First stream sequence delivered, with `deliverPolicy: sequence`.' },
  { name: 'startTime', kind: 'integer', description: 'First message time (Unix seconds) delivered, with `deliverPolicy: time`.' },
  { name: 'deliverPolicy', kind: { oneOf: ['all', 'last', 'new', 'sequence', 'time'] }, default: 'all', description: 'Where a new consumer starts in the stream.' },
  { name: 'ackPolicy', kind: { oneOf: ['explicit', 'all', 'none'] }, default: 'explicit', description: 'How messages are acknowledged: each (`explicit`), cumulatively (`all`), or not at all (`none`).' },
  { name: 'ackWait', kind: 'duration', description: 'How long the server waits for an acknowledgement before delivering again (server default 30s); a failed message is redelivered after this delay.' },
  { name: 'maxDeliver', kind: 'integer', description: 'Deliveries of a message before the server gives up on it (default unlimited).' },
  { name: 'backOff', description: 'Comma-separated redelivery delays (e.g. `1s,5s,30s`) the server uses instead of `ackWait`.' },
  { name: 'maxAckPending', kind: 'integer', description: 'Unacknowledged messages a consumer may have out at once.' },
  { name: 'replicas', kind: 'integer', description: 'Replicas of the consumer\'s state in a cluster.' },
  { name: 'memoryStorage', kind: 'boolean', default: 'false', description: 'Keep the consumer\'s state in memory.' },
  { name: 'concurrency', kind: { oneOf: ['single', 'parallel'] }, default: 'single', description: '`single` hands one message at a time to the app; `parallel` all that arrive.' },
  { name: 'domain', description: 'JetStream domain.' },
  { name: 'apiPrefix', description: 'JetStream API prefix.' },
  { name: 'flowControl', kind: 'boolean', default: 'false', description: 'Accepted for compatibility; push-consumer only, so unused with Outrigger\'s pull consumers.' },
  { name: 'rateLimit', kind: 'integer', description: 'Accepted for compatibility; push-consumer only, so unused.' },
  { name: 'heartbeat', kind: 'duration', description: 'Idle heartbeat of the pulls; the client picks one when empty.' },
];

export interface JetStreamSettings {
  readonly servers: string[];
  readonly name: string;
  readonly auth: { readonly jwt?: string; readonly seed?: string; readonly token?: string; readonly certFile?: string; readonly keyFile?: string };
  readonly streamName: string | undefined;
  readonly durableName: string | undefined;
  readonly deliverPolicy: 'all' | 'last' | 'new' | 'sequence' | 'time';
  readonly startSequence: number | undefined;
  /** Unix milliseconds. */
  readonly startTimeMs: number | undefined;
  readonly ackPolicy: 'explicit' | 'all' | 'none';
  readonly ackWaitMs: number | undefined;
  readonly maxDeliver: number | undefined;
  readonly backOffMs: number[];
  readonly maxAckPending: number | undefined;
  readonly replicas: number | undefined;
  readonly memoryStorage: boolean;
  readonly concurrency: 'single' | 'parallel';
  readonly domain: string | undefined;
  readonly apiPrefix: string | undefined;
  readonly heartbeatMs: number | undefined;
}

/** @throws MetadataError naming the offending field, with daprd's checks (jwt and seedKey together, cert and key together). */
export function parseJetStreamSettings(metadata: Readonly<Record<string, string>>): JetStreamSettings {
  validateMetadata(jetStreamMetadata, metadata);
  const read = new MetadataReader(jetStreamMetadata, metadata);
  const jwt = read.string('jwt');
  const seed = read.string('seedKey');
  if (jwt && !seed) throw new MetadataError('seedKey', 'missing seed key');
  if (seed && !jwt) throw new MetadataError('jwt', 'missing jwt');
  const certFile = read.string('tls_client_cert');
  const keyFile = read.string('tls_client_key');
  if (certFile && !keyFile) throw new MetadataError('tls_client_key', 'missing tls client key');
  if (keyFile && !certFile) throw new MetadataError('tls_client_cert', 'missing tls client cert');
  const backOffMs = (read.string('backOff') ?? '').split(',').map((part) => part.trim()).filter(Boolean).map((part) => {
    try {
      return parseDuration(part);
    } catch {
      throw new MetadataError('backOff', `"${part}" is not a duration (for example 1s,5s,30s)`);
    }
  });
  const startTime = read.integer('startTime');
  const positive = (name: string): number | undefined => {
    const value = read.integer(name);
    return value !== undefined && value > 0 ? value : undefined;
  };
  const ackWaitMs = read.durationMs('ackWait');
  const heartbeatMs = read.durationMs('heartbeat');
  return {
    servers: (read.string('natsURL') ?? '').split(',').map((url) => url.trim()).filter(Boolean),
    name: read.string('name') ?? 'dapr.io - pubsub.jetstream',
    auth: { jwt, seed, token: read.string('token'), certFile, keyFile },
    streamName: read.string('streamName'),
    durableName: read.string('durableName') ?? read.string('queueGroupName'),
    deliverPolicy: (read.string('deliverPolicy') ?? 'all') as JetStreamSettings['deliverPolicy'],
    startSequence: positive('startSequence'),
    startTimeMs: startTime !== undefined ? startTime * 1000 : undefined,
    ackPolicy: (read.string('ackPolicy') ?? 'explicit') as JetStreamSettings['ackPolicy'],
    ackWaitMs: ackWaitMs !== undefined && ackWaitMs > 0 ? ackWaitMs : undefined,
    maxDeliver: positive('maxDeliver'),
    backOffMs,
    maxAckPending: positive('maxAckPending'),
    replicas: positive('replicas'),
    memoryStorage: read.boolean('memoryStorage'),
    concurrency: read.string('concurrency') === 'parallel' ? 'parallel' : 'single',
    domain: read.string('domain'),
    apiPrefix: read.string('apiPrefix'),
    heartbeatMs: heartbeatMs !== undefined && heartbeatMs > 0 ? heartbeatMs : undefined,
  };
}
