import {
  validateMetadata,
  type BulkPublisher, type ComponentContext, type MessageHandler, type MetadataField, type PublishRequest,
  type PubSubFeature, type PubSubSubscription, type SubscribeRequest,
} from '@outrigger/components-api';
import { InMemoryBroker, type Consumer, type StoredMessage } from './pubsub-in-memory-broker.js';
import { checkTopic, consumerGroup, copyMetadata, DEFAULT_CONCURRENCY, messageExpiry, positiveInteger } from './pubsub-common.js';

/** `pubsub.in-memory` metadata. Dapr's in-memory pub/sub has none; these two are Outrigger's. */
export const inMemoryPubSubMetadata: readonly MetadataField[] = [
  {
    name: 'consumerID',
    description: 'Consumer group: subscriptions with the same id share the messages of a topic, different ids each get every message. Defaults to the app id.',
  },
  { name: 'concurrency', kind: 'integer', default: String(DEFAULT_CONCURRENCY), description: 'Messages one subscription handles at the same time.' },
];

interface Settings {
  readonly group: string;
  readonly concurrency: number;
}

/**
 * `pubsub.in-memory`: a process-local broker; messages are lost when the sidecar stops.
 *
 * Semantics (shared with `pubsub.sqlite`): a consumer group receives every message published to a
 * topic after the group first subscribed to it, also while it has no live subscription; within a group,
 * subscriptions compete for messages. A rejected message is delivered again after a back-off
 * (100 ms doubling to 2 s), with no limit on attempts: retries and dead-lettering are the runtime's.
 * `ttlInSeconds` publish metadata makes a message expire; an expired message is never delivered.
 *
 * Unlike Dapr's in-memory component, which hands every message to every subscriber, this one has
 * consumer groups, so an app scaled to several instances in one process behaves as with a real broker.
 */
export class InMemoryPubSub implements BulkPublisher {
  private readonly broker: InMemoryBroker;
  private readonly ownsBroker: boolean;
  private settings: Settings | undefined;
  private readonly subscriptions = new Set<PubSubSubscription>();

  /** @param broker a broker shared with other instances (tests); by default the instance has its own. */
  constructor(broker?: InMemoryBroker) {
    this.broker = broker ?? new InMemoryBroker();
    this.ownsBroker = broker === undefined;
  }

  async init(context: ComponentContext): Promise<void> {
    validateMetadata(inMemoryPubSubMetadata, context.metadata);
    this.settings = {
      group: consumerGroup(context.metadata, context.appId),
      concurrency: positiveInteger(context.metadata, 'concurrency', DEFAULT_CONCURRENCY),
    };
  }

  /** Closes every subscription of this instance (waiting for their handlers), then drops an owned broker. */
  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    if (this.ownsBroker) this.broker.clear();
    this.settings = undefined;
  }

  features(): readonly PubSubFeature[] {
    return ['MESSAGE_TTL', 'BULK_PUBLISH'];
  }

  async publish(request: PublishRequest): Promise<void> {
    this.opened();
    this.broker.publish(toStored(request));
  }

  async bulkPublish(topic: string, entries: readonly (PublishRequest & { readonly entryId: string })[]): Promise<{ entryId: string; error: string }[]> {
    this.opened();
    const failed: { entryId: string; error: string }[] = [];
    for (const entry of entries) {
      try {
        this.broker.publish(toStored({ ...entry, topic }));
      } catch (error) {
        failed.push({ entryId: entry.entryId, error: error instanceof Error ? error.message : String(error) });
      }
    }
    return failed;
  }

  async subscribe(request: SubscribeRequest, handler: MessageHandler): Promise<PubSubSubscription> {
    const { group, concurrency } = this.opened();
    checkTopic(request.topic);
    const queue = this.broker.group(request.topic, group);
    const consumer: Consumer = { handler, concurrency, running: new Set() };
    let closing: Promise<void> | undefined;
    const subscription: PubSubSubscription = {
      close: () => {
        closing ??= (async () => {
          queue.remove(consumer);
          // Rejections inside settle into requeues; the handler's outcome is already dealt with.
          await Promise.allSettled([...consumer.running]);
          this.subscriptions.delete(subscription);
        })();
        return closing;
      },
    };
    this.subscriptions.add(subscription);
    queue.add(consumer);
    return subscription;
  }

  private opened(): Settings {
    if (!this.settings) throw new Error('in-memory pub/sub is not initialised');
    return this.settings;
  }
}

/** Validates a publish and copies what the caller could still change. */
function toStored(request: PublishRequest): StoredMessage {
  checkTopic(request.topic);
  return {
    topic: request.topic,
    data: new Uint8Array(request.data),
    contentType: request.contentType,
    metadata: copyMetadata(request.metadata),
    expiresAt: messageExpiry(request.metadata),
  };
}
