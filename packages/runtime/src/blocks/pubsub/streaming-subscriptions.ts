import { daprError, errorMessage, type Logger } from '@outrigger/kit';
import type { PubSub } from '@outrigger/components-api';
import type { AppChannel, TopicEventDelivery } from '../../app-channel/app-channel.js';
import type { ComponentHost } from '../../components/component-host.js';
import type { DeliveryResult } from './delivery.js';
import { describeSubscription, type Subscription } from './subscription-model.js';
import { topicAllowed } from './topic-scopes.js';
import { TopicSubscriber } from './topic-subscriber.js';

/** What a client asks for when it opens a streaming subscription (SubscribeTopicEventsAlpha1). */
export interface StreamRequest {
  readonly pubsubName: string;
  readonly topic: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly deadLetterTopic?: string | undefined;
}

/** Hands one event to the client on its stream and resolves with the client's answer; never throws. */
export type StreamDelivery = (delivery: TopicEventDelivery) => Promise<DeliveryResult>;

/** A live streaming subscription. */
export interface StreamHandle {
  readonly subscription: Subscription;
  /** Stops fetching; messages not answered yet go back to the broker. Safe to call twice. */
  close(): Promise<void>;
  /** Resolves when the subscription ends, whoever ended it (the client, or the sidecar stopping). */
  readonly ended: Promise<void>;
}

interface OpenStream {
  readonly subscriber: TopicSubscriber;
  readonly markEnded: () => void;
}

/**
 * Subscriptions that clients open at run time over a gRPC stream rather than declare. Each is its own
 * broker subscription delivered by a {@link TopicSubscriber} whose sink is the stream: the client answers
 * SUCCESS, RETRY (retried with back-off, then the dead-letter topic or back to the broker) or DROP (the
 * dead-letter topic). They do not depend on the app, and show in the metadata API as STREAMING.
 */
export class StreamingSubscriptions {
  private readonly open_ = new Set<OpenStream>();
  private stopped = false;

  constructor(private readonly host: ComponentHost, private readonly appId: string, private readonly logger: Logger) {}

  /** @throws DaprError when the pub/sub is unknown, the topic empty or not allowed, or the sidecar is stopping. */
  async open(request: StreamRequest, deliver: StreamDelivery): Promise<StreamHandle> {
    if (request.pubsubName === '') throw daprError('pubsubEmpty');
    const component = this.host.get(request.pubsubName);
    if (!component || component.registration.block !== 'pubsub') throw daprError('pubsubNotFound', request.pubsubName);
    if (request.topic === '') throw daprError('pubsubTopicEmpty', request.pubsubName);
    if (!topicAllowed('subscribe', this.appId, request.topic, component.metadata)) throw daprError('pubsubForbidden', request.topic, this.appId);
    if (this.stopped) throw daprError('shuttingDown');
    // daprd gives every stream one route, `/`.
    const subscription: Subscription = {
      pubsubName: request.pubsubName, topic: request.topic, rules: [], defaultPath: '/', metadata: { ...request.metadata },
      deadLetterTopic: request.deadLetterTopic || undefined, bulkSubscribe: undefined, type: 'STREAMING',
    };
    const sink: Pick<AppChannel, 'deliverTopicEvent' | 'deliverBulkTopicEvent'> = {
      deliverTopicEvent: deliver,
      // Streaming subscriptions have no bulk mode; the subscriber never batches without bulkSubscribe.
      deliverBulkTopicEvent: async () => new Map(),
    };
    const subscriber = new TopicSubscriber(subscription, component.instance as PubSub, sink, this.logger);
    let markEnded!: () => void;
    const ended = new Promise<void>((resolve) => {
      markEnded = resolve;
    });
    const entry: OpenStream = { subscriber, markEnded };
    await subscriber.start();
    this.open_.add(entry);
    this.logger.info(`streaming subscription to ${request.pubsubName}/${request.topic} opened`);
    const close = async () => {
      if (!this.open_.delete(entry)) return;
      markEnded();
      await subscriber.stop();
      this.logger.info(`streaming subscription to ${request.pubsubName}/${request.topic} closed`);
    };
    return { subscription, close, ended };
  }

  /** The metadata API's view of the open streams. */
  describe(): Record<string, unknown>[] {
    return [...this.open_].map(({ subscriber }) => describeSubscription(subscriber.subscription));
  }

  /** Ends every stream and refuses new ones; for shutdown. */
  async closeAll(): Promise<void> {
    this.stopped = true;
    const closing = [...this.open_];
    this.open_.clear();
    for (const entry of closing) entry.markEnded();
    await Promise.all(closing.map(({ subscriber }) => subscriber.stop().catch((error: unknown) => {
      this.logger.warn(`closing the streaming subscription to ${subscriber.subscription.topic} failed: ${errorMessage(error)}`);
    })));
  }
}
