import type { Channel, ConsumeMessage } from 'amqplib';
import type { MessageHandler, PubSubSubscription } from '@outrigger/components-api';
import { errorMessage, type Logger } from '@outrigger/kit';
import type { ReconnectingConnection } from './amqp-connection.js';
import { deliveryMetadata } from './amqp-messages.js';
import type { RabbitMqPubSubSettings } from './pubsub-settings.js';
import { declareSubscription, type SubscriptionTopology } from './topology.js';

/**
 * One topic subscription: its own channel (so its prefetch, errors and close touch nothing else),
 * the declared topology and a consumer. When the connection comes back, or the broker cancels the
 * consumer (queue deleted), everything is declared and consumed again.
 *
 * Acknowledgement: a handler that resolves acks; one that rejects nacks with `requeueInFailure`
 * (dropped or dead-lettered otherwise), as daprd does. While closing, a rejected message is left
 * unacknowledged, so closing the channel hands it back to the broker instead of dropping it.
 */
export class RabbitMqSubscription implements PubSubSubscription {
  private channel: Channel | undefined;
  private consumerTag: string | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  /** `concurrency: single` runs handlers one after the other on this chain. */
  private chain: Promise<void> = Promise.resolve();
  private closing = false;
  private establishing = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly stopListening: () => void;

  constructor(
    private readonly connection: ReconnectingConnection,
    private readonly topology: SubscriptionTopology,
    private readonly settings: RabbitMqPubSubSettings,
    private readonly topic: string,
    private readonly handler: MessageHandler,
    private readonly logger: Logger,
  ) {
    this.stopListening = connection.onReconnect(() => void this.reestablish());
  }

  /** Declares and starts consuming. @throws Error when the broker refuses the topology or is unreachable. */
  async start(): Promise<void> {
    try {
      await this.establish();
    } catch (error) {
      this.stopListening();
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.stopListening();
    clearTimeout(this.retryTimer);
    const channel = this.channel;
    const tag = this.consumerTag;
    // No new deliveries, then let the handlers in flight finish (they ack while the channel is open)...
    if (channel && tag) await channel.cancel(tag).catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
    // ...then closing the channel returns every message still unacknowledged to the queue.
    this.channel = undefined;
    await channel?.close().catch(() => undefined);
  }

  private async establish(): Promise<void> {
    const channel = await this.connection.createChannel();
    channel.on('error', (error: Error) => this.logger.warn(`rabbitmq: subscription channel for ${this.topology.queue} failed: ${error.message}`));
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      // A channel-level failure on a live connection: set up again; a lost connection is handled by the reconnect listener.
      if (!this.closing && this.connection.connected) this.retryLater();
    });
    try {
      await declareSubscription(channel, this.topology);
      if (this.settings.prefetchCount > 0) await channel.prefetch(this.settings.prefetchCount, false);
      this.channel = channel;
      const consumer = await channel.consume(this.topology.queue, (message) => this.onDelivery(channel, message), { noAck: this.settings.autoAck });
      this.consumerTag = consumer.consumerTag;
      if (this.closing) await channel.cancel(consumer.consumerTag).catch(() => undefined);
    } catch (error) {
      this.channel = undefined;
      await channel.close().catch(() => undefined);
      throw new Error(`rabbitmq: subscribing to topic ${this.topic} with queue ${this.topology.queue} failed: ${errorMessage(error)}`, { cause: error });
    }
  }

  /** Sets the subscription up again unless it is closing, consuming, or already being set up. */
  private async reestablish(): Promise<void> {
    if (this.closing || this.channel || this.establishing) return;
    this.establishing = true;
    try {
      await this.establish();
      this.logger.info(`rabbitmq: consuming ${this.topology.queue} again`);
    } catch (error) {
      this.logger.warn(errorMessage(error));
      this.retryLater();
    } finally {
      this.establishing = false;
    }
  }

  private retryLater(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (this.connection.connected) void this.reestablish();
    }, this.settings.reconnectWaitMs);
  }

  private onDelivery(channel: Channel, message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer (queue deleted): declare and consume again.
      if (this.channel === channel && !this.closing) {
        this.channel = undefined;
        void channel.close().catch(() => undefined);
        this.retryLater();
      }
      return;
    }
    const run = async (): Promise<void> => {
      // A message queued behind a single-concurrency handler when close() began stays unacknowledged.
      if (this.closing) return;
      await this.handle(channel, message);
    };
    const task = this.settings.concurrency === 'single' ? (this.chain = this.chain.then(run)) : run();
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  private async handle(channel: Channel, message: ConsumeMessage): Promise<void> {
    let failure: unknown;
    try {
      await this.handler({
        topic: this.topic,
        data: new Uint8Array(message.content),
        contentType: message.properties.contentType as string | undefined,
        metadata: deliveryMetadata(message, this.settings.publishPropertiesToMetadata),
      });
    } catch (error) {
      failure = error;
    }
    if (this.settings.autoAck) return;
    // An ack or nack on a channel that has closed is meaningless: the broker already requeued the message.
    if (this.channel !== channel && !this.closing) return;
    try {
      if (failure === undefined) channel.ack(message);
      else if (!this.closing) {
        this.logger.warn(`rabbitmq: message on ${this.topic} failed (${errorMessage(failure)}); nack with requeue=${this.settings.requeueInFailure}`);
        channel.nack(message, false, this.settings.requeueInFailure);
      }
    } catch (error) {
      this.logger.debug(`rabbitmq: could not settle a message on ${this.topic}: ${errorMessage(error)}`);
    }
  }
}
