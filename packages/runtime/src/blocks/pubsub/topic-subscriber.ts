import { errorMessage, type Logger } from '@outrigger/kit';
import type { PubSub, PubSubMessage, PubSubSubscription } from '@outrigger/components-api';
import type { AppChannel } from '../../app-channel/app-channel.js';
import { FailedAnswerError } from '../../resiliency/errors.js';
import { Resiliency, type PolicyRunner } from '../../resiliency/resiliency.js';
import { BulkBatcher } from './bulk-batcher.js';
import { readCloudEvent, wrapRawPayload, type CloudEvent } from './cloud-event.js';
import type { DeliveryResult } from './delivery.js';
import { Router, type Subscription } from './subscription-model.js';

/** Raised to hand a message back to the broker unacknowledged (retry later, or shutdown). */
export class MessageNotHandledError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'MessageNotHandledError';
  }
}

/**
 * Delivers one subscription's messages to the app: routing by rules, the pub/sub component's inbound
 * resiliency policies around each delivery (Outrigger's built-in retries when none apply), the
 * dead-letter topic on drop or when the policies give up, bulk batches when asked. On stop it fetches
 * no more, and messages in retry go back to the broker, never to the dead-letter topic.
 */
export class TopicSubscriber {
  private readonly router: Router;
  private readonly batchers = new Map<string, BulkBatcher>();
  private readonly stopping = new AbortController();
  private handle: PubSubSubscription | undefined;

  constructor(
    readonly subscription: Subscription,
    private readonly pubsub: PubSub,
    /** The app channel, or any other sink of events (a gRPC streaming subscription). */
    private readonly channel: Pick<AppChannel, 'deliverTopicEvent' | 'deliverBulkTopicEvent'>,
    private readonly logger: Logger,
    /** The component's inbound policies; by default the built-in delivery retries. */
    private readonly delivery: PolicyRunner = new Resiliency([], { logger }).forComponentInbound(subscription.pubsubName, 'pubsub'),
  ) {
    this.router = new Router(subscription);
  }

  private get rawPayload(): boolean {
    return this.subscription.metadata.rawPayload === 'true';
  }

  async start(): Promise<void> {
    this.handle = await this.pubsub.subscribe({ topic: this.subscription.topic, metadata: this.subscription.metadata }, (message) => this.handle_(message));
  }

  async stop(): Promise<void> {
    this.stopping.abort(new MessageNotHandledError('the sidecar is shutting down'));
    for (const batcher of this.batchers.values()) batcher.flush();
    await this.handle?.close();
  }

  private async handle_(message: PubSubMessage): Promise<void> {
    if (this.stopping.signal.aborted) throw new MessageNotHandledError('the sidecar is shutting down');
    const { topic, pubsubName } = this.subscription;
    const parsed = this.rawPayload ? undefined : readCloudEvent(message.data);
    const event: CloudEvent = parsed ?? wrapRawPayload(message.data, topic, pubsubName);
    if (typeof event.expiration === 'string' && Date.parse(event.expiration) < Date.now()) {
      this.logger.warn(`dropping expired message ${event.id} on ${pubsubName}/${topic}`);
      return;
    }
    const path = this.router.route(event);
    if (path === undefined) {
      this.logger.warn(`no route matches message ${event.id} on ${pubsubName}/${topic}; dropping it`);
      return;
    }
    if (this.subscription.bulkSubscribe) {
      // Entries of a batch are not retried one by one: RETRY entries go back to the broker.
      const result = await this.deliver(path, event, message);
      if (result.outcome === 'success') return;
      if (result.outcome === 'drop') return this.drop(message, event, result.detail);
      throw new MessageNotHandledError(result.detail);
    }
    let attempts = 0;
    let result: DeliveryResult;
    try {
      result = await this.delivery.run(async () => {
        attempts++;
        const answer = await this.deliver(path, event, message);
        if (answer.outcome === 'retry') throw new FailedAnswerError(answer, {}, answer.detail);
        return answer;
      }, { signal: this.stopping.signal });
    } catch (error) {
      const detail = errorMessage(error);
      if (this.stopping.signal.aborted) throw new MessageNotHandledError(`not delivered before shutdown: ${detail}`);
      if (this.subscription.deadLetterTopic) {
        this.logger.warn(`message ${event.id} on ${pubsubName}/${topic} failed after ${attempts} deliveries (${detail}); sending it to ${this.subscription.deadLetterTopic}`);
        await this.deadLetter(message, event);
        return;
      }
      throw new MessageNotHandledError(detail);
    }
    if (result.outcome === 'drop') await this.drop(message, event, result.detail);
  }

  private async drop(message: PubSubMessage, event: CloudEvent, detail: string): Promise<void> {
    this.logger.warn(`message ${event.id} on ${this.subscription.pubsubName}/${this.subscription.topic} dropped: ${detail}`);
    await this.deadLetter(message, event);
  }

  private deliver(path: string, event: CloudEvent, message: PubSubMessage): Promise<DeliveryResult> {
    const bulk = this.subscription.bulkSubscribe;
    const { topic, pubsubName } = this.subscription;
    if (!bulk) return this.channel.deliverTopicEvent({ path, topic, pubsubName, event, metadata: message.metadata });
    let batcher = this.batchers.get(path);
    if (!batcher) {
      batcher = new BulkBatcher(bulk.maxMessagesCount, bulk.maxAwaitDurationMs,
        (entries) => this.channel.deliverBulkTopicEvent({ path, topic, pubsubName, entries }));
      this.batchers.set(path, batcher);
    }
    const raw = this.rawPayload;
    return batcher.add({
      entryId: event.id,
      event: raw ? Buffer.from(message.data).toString('base64') : event,
      contentType: raw ? 'application/octet-stream' : 'application/cloudevents+json',
      metadata: message.metadata ?? {},
    });
  }

  /** Publishes the message as it came to the dead-letter topic, when the subscription has one. */
  private async deadLetter(message: PubSubMessage, event: CloudEvent): Promise<void> {
    const target = this.subscription.deadLetterTopic;
    if (!target) return;
    try {
      await this.pubsub.publish({ topic: target, data: message.data, contentType: message.contentType, metadata: message.metadata });
    } catch (error) {
      // Not dead-lettered: hand the message back so it is not lost.
      throw new MessageNotHandledError(`publishing ${event.id} to dead-letter topic ${target} failed: ${errorMessage(error)}`);
    }
  }
}
