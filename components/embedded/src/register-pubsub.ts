import type { ComponentRegistry } from '@outrigger/components-api';
import { InMemoryPubSub, inMemoryPubSubMetadata } from './pubsub-in-memory.js';
import { SqlitePubSub } from './pubsub-sqlite.js';
import { sqlitePubSubMetadata } from './pubsub-sqlite-settings.js';

/** Registers the embedded brokers: `pubsub.in-memory` (Dapr's) and `pubsub.sqlite` (Outrigger's). */
export function registerEmbeddedPubSubs(registry: ComponentRegistry): void {
  registry.register({
    type: 'pubsub.in-memory',
    block: 'pubsub',
    versions: ['v1'],
    description: 'Process-local broker; messages are lost when the sidecar stops. Consumer groups, redelivery of rejected messages, message TTL, bulk publish.',
    metadata: inMemoryPubSubMetadata,
    create: () => new InMemoryPubSub(),
  });
  registry.register({
    type: 'pubsub.sqlite',
    block: 'pubsub',
    versions: ['v1'],
    description: 'Durable at-least-once broker in a SQLite file, shared by the sidecars of one machine. Consumer groups, visibility timeout, message TTL, bulk publish.',
    metadata: sqlitePubSubMetadata,
    create: () => new SqlitePubSub(),
  });
}
