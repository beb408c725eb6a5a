import type { ComponentRegistry } from '@outrigger/components-api';
import { JetStreamPubSub } from './jetstream-pubsub.js';
import { jetStreamMetadata } from './jetstream-settings.js';

export { JetStreamPubSub } from './jetstream-pubsub.js';
export { jetStreamMetadata } from './jetstream-settings.js';

/** Registers `pubsub.jetstream` (NATS JetStream through @nats-io/jetstream). */
export function registerNatsComponents(registry: ComponentRegistry): void {
  registry.register({
    type: 'pubsub.jetstream',
    block: 'pubsub',
    versions: ['v1'],
    description: 'NATS JetStream pub/sub on existing streams: acknowledged publishes with de-duplication ids, durable or ephemeral pull consumers, nak on failure, reconnection.',
    metadata: jetStreamMetadata,
    create: () => new JetStreamPubSub(),
  });
}
