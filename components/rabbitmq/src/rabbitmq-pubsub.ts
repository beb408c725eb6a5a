import { metadataValue, type ComponentContext, type MessageHandler, type PublishRequest, type PubSub, type PubSubFeature, type PubSubSubscription, type SubscribeRequest } from '@outrigger/components-api';
import { errorMessage, type Logger } from '@outrigger/kit';
import { ReconnectingConnection } from './amqp-connection.js';
import { publishOptions } from './amqp-messages.js';
import { parseRabbitMqPubSubSettings, type RabbitMqPubSubSettings } from './pubsub-settings.js';
import { RabbitMqSubscription } from './rabbitmq-subscription.js';
import { planSubscription, topicExchange } from './topology.js';

/**
 * `pubsub.rabbitmq`: Dapr's RabbitMQ pub/sub. Publishes to the topic's exchange and waits for the
 * broker's confirm; each subscription consumes its consumer group's queue (see topology.ts). The
 * connection is re-dialled when lost and every subscription is set up again; publishing while it is
 * down fails at once rather than queueing.
 */
export class RabbitMqPubSub implements PubSub {
  private settings!: RabbitMqPubSubSettings;
  private connection: ReconnectingConnection | undefined;
  private logger!: Logger;
  private readonly subscriptions = new Set<RabbitMqSubscription>();
  private closed = false;

  async init(context: ComponentContext): Promise<void> {
    this.settings = parseRabbitMqPubSubSettings(context.metadata, context.appId);
    this.logger = context.logger;
    const connection = new ReconnectingConnection(this.settings.endpoint, this.settings.reconnectWaitMs, context.logger);
    this.connection = connection;
    await connection.open();
  }

  features(): readonly PubSubFeature[] {
    return ['MESSAGE_TTL'];
  }

  async publish(request: PublishRequest): Promise<void> {
    const connection = this.open();
    const options = publishOptions(request.metadata, request.contentType, { deliveryMode: this.settings.deliveryMode, ttlMs: this.settings.defaultTtlMs });
    const routingKey = (request.metadata && metadataValue(request.metadata, 'routingKey')) || '';
    const exchange = topicExchange(this.settings, request.topic);
    const content = Buffer.from(request.data.buffer, request.data.byteOffset, request.data.byteLength);
    try {
      await connection.publish(exchange, routingKey, content, options);
    } catch (error) {
      // An exchange removed behind our back (auto-delete) fails the publish channel with 404;
      // declare afresh once and try again, rather than failing every later publish.
      if (!/NOT_FOUND|404/.test(errorMessage(error)) || !connection.connected) throw error;
      connection.forgetDeclarations();
      await connection.publish(exchange, routingKey, content, options);
    }
  }

  async subscribe(request: SubscribeRequest, handler: MessageHandler): Promise<PubSubSubscription> {
    const connection = this.open();
    const plan = planSubscription(this.settings, request.topic, request.metadata ?? {});
    this.logger.info(`rabbitmq: subscribing to topic ${request.topic} with queue ${plan.queue}`);
    const subscription = new RabbitMqSubscription(connection, plan, this.settings, request.topic, handler, this.logger);
    await subscription.start();
    this.subscriptions.add(subscription);
    return {
      close: async () => {
        this.subscriptions.delete(subscription);
        await subscription.close();
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const subscriptions = [...this.subscriptions];
    this.subscriptions.clear();
    await Promise.all(subscriptions.map((subscription) => subscription.close().catch((error: unknown) => {
      this.logger.warn(`rabbitmq: closing a subscription failed: ${errorMessage(error)}`);
    })));
    await this.connection?.close();
  }

  private open(): ReconnectingConnection {
    if (this.closed || !this.connection) throw new Error('component is closed');
    return this.connection;
  }
}
