import type { Component } from './component.js';

/** Capability names as Dapr reports them in the metadata API. */
export type PubSubFeature = 'MESSAGE_TTL' | 'SUBSCRIBE_WILDCARDS' | 'BULK_PUBLISH';

export interface PublishRequest {
  readonly topic: string;
  /** The bytes to store and deliver: a serialised CloudEvent, or the raw payload with `rawPayload`. */
  readonly data: Uint8Array;
  readonly contentType?: string | undefined;
  /** Request metadata; `ttlInSeconds` sets a message TTL where the component supports it. */
  readonly metadata?: Readonly<Record<string, string>> | undefined;
}

export interface SubscribeRequest {
  readonly topic: string;
  /** Subscription metadata from the app or the Subscription resource. */
  readonly metadata?: Readonly<Record<string, string>> | undefined;
}

/** One message as the component hands it to the runtime. */
export interface PubSubMessage {
  readonly topic: string;
  readonly data: Uint8Array;
  readonly contentType?: string | undefined;
  /** Broker metadata, passed to the app as headers. */
  readonly metadata?: Readonly<Record<string, string>> | undefined;
}

/**
 * Called for each message. Resolving acknowledges it; rejecting asks the component to deliver it
 * again later (the runtime decides retries and dead-lettering before it rejects).
 */
export type MessageHandler = (message: PubSubMessage) => Promise<void>;

/** A live subscription. */
export interface PubSubSubscription {
  /**
   * Stops fetching new messages, waits for handlers in flight to settle, and leaves every message
   * not yet acknowledged to the broker for redelivery. Never dead-letters.
   */
  close(): Promise<void>;
}

/** The required contract of every pub/sub component. */
export interface PubSub extends Component {
  features(): readonly PubSubFeature[];
  /** @throws when the broker refuses or cannot be reached; nothing is silently dropped. */
  publish(request: PublishRequest): Promise<void>;
  /**
   * Starts delivering messages of a topic to `handler`. Consumers that share the component's
   * `consumerID` (the app id by default) compete for messages; different consumer ids each get every message.
   */
  subscribe(request: SubscribeRequest, handler: MessageHandler): Promise<PubSubSubscription>;
}

/** A component that publishes many messages in one call. */
export interface BulkPublisher extends PubSub {
  /** @returns the entry ids that failed, with their errors; the others were published. */
  bulkPublish(topic: string, entries: readonly (PublishRequest & { readonly entryId: string })[]): Promise<{ entryId: string; error: string }[]>;
}

export function isBulkPublisher(pubsub: PubSub): pubsub is BulkPublisher {
  return typeof (pubsub as Partial<BulkPublisher>).bulkPublish === 'function';
}
