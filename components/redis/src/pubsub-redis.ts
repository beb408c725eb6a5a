import type { Redis } from 'ioredis';
import type {
  ComponentContext, MessageHandler, PubSub, PubSubFeature, PubSubSubscription, PublishRequest, SubscribeRequest,
} from '@outrigger/components-api';
import type { Logger } from '@outrigger/kit';
import { closeRedis, connectRedis } from './connection.js';
import { parseRedisPubSubSettings, type RedisPubSubSettings } from './pubsub-settings.js';
import { encodeEntry } from './stream-entry.js';
import { ensureGroup, StreamSubscription } from './stream-subscription.js';

interface Open {
  readonly main: Redis;
  readonly settings: RedisPubSubSettings;
  readonly logger: Logger;
}

/**
 * `pubsub.redis`: Dapr's Redis Streams pub/sub. A topic is a stream; each publish is one XADD with
 * Dapr's fields (stream-entry.ts); each `consumerID` is a consumer group (see StreamSubscription for
 * delivery, acknowledgement and redelivery). It reports no features, as Dapr's does: the runtime puts
 * a message's `ttlInSeconds` into the CloudEvent's `expiration` and drops it on delivery when expired.
 *
 * A publish while Redis is unreachable fails at once with the cause (no offline queue), so the caller
 * gets an error instead of a success for a message that was never stored.
 */
export class RedisPubSub implements PubSub {
  private open: Open | undefined;
  private readonly closing = new AbortController();
  private readonly subscriptions = new Set<StreamSubscription>();

  async init(context: ComponentContext): Promise<void> {
    const settings = parseRedisPubSubSettings(context.metadata, context.appId);
    if (settings.maxLenApprox > 0 && settings.streamTTLMs > 0) {
      context.logger.warn('redis streams: maxLenApprox and streamTTL cannot be used together; only maxLenApprox trims the streams');
    }
    const main = await connectRedis(settings.connection, { purpose: 'redis streams', logger: context.logger, signal: this.closing.signal });
    this.open = { main, settings, logger: context.logger };
  }

  features(): readonly PubSubFeature[] {
    return [];
  }

  async publish(request: PublishRequest): Promise<void> {
    const { main, settings } = this.opened();
    if (request.topic === '') throw new Error('topic is required');
    const trim: (string | number)[] = settings.maxLenApprox > 0
      ? ['MAXLEN', '~', settings.maxLenApprox]
      : settings.streamTTLMs > 0 ? ['MINID', '~', `${Date.now() - settings.streamTTLMs}-1`] : [];
    try {
      await main.xadd(request.topic, ...trim, '*', ...encodeEntry(request.data, request.contentType, request.metadata));
    } catch (error) {
      throw new Error(`redis streams: error from publish: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async subscribe(request: SubscribeRequest, handler: MessageHandler): Promise<PubSubSubscription> {
    const { main, settings, logger } = this.opened();
    if (request.topic === '') throw new Error('topic is required');
    await ensureGroup(main, request.topic, settings.consumerID);
    const reader = await connectRedis(settings.connection, {
      purpose: `redis streams reader of ${request.topic}`, logger, blocking: true, signal: this.closing.signal,
    });
    if (this.closing.signal.aborted) {
      reader.disconnect();
      throw new Error('component is closed');
    }
    const subscription: StreamSubscription = new StreamSubscription({
      main, reader, settings, logger, topic: request.topic, handler,
      onClosed: () => this.subscriptions.delete(subscription),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    this.closing.abort();
    await Promise.allSettled([...this.subscriptions].map((subscription) => subscription.close()));
    const open = this.open;
    this.open = undefined;
    await closeRedis(open?.main);
  }

  private opened(): Open {
    if (!this.open || this.closing.signal.aborted) throw new Error('component is closed');
    return this.open;
  }
}
