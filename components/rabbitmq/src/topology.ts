import type { Channel, Options } from 'amqplib';
import { metadataValue, parseBoolean } from '@outrigger/components-api';
import type { ExchangeSpec } from './amqp-connection.js';
import type { RabbitMqPubSubSettings } from './pubsub-settings.js';

/*
 * Dapr's RabbitMQ topology, so Outrigger and daprd sidecars can share a broker: one exchange per
 * topic (named as the topic, of kind `exchangeKind`), one queue per consumer group and topic
 * (`<consumerID>-<topic>`, or the subscription's `queueName`) bound to it, and with
 * `enableDeadLetter` a fanout exchange `dlx-<queue>` feeding queue `dlq-<queue>`.
 * Queue arguments match daprd's declarations exactly: RabbitMQ refuses a re-declaration with other arguments.
 */

/** Everything one subscription declares. */
export interface SubscriptionTopology {
  readonly exchange: ExchangeSpec;
  readonly queue: string;
  readonly queueOptions: Options.AssertQueue;
  readonly routingKeys: readonly string[];
  readonly deadLetter?: { readonly exchange: ExchangeSpec; readonly queue: string; readonly queueOptions: Options.AssertQueue } | undefined;
}

/** The exchange a topic publishes to. */
export function topicExchange(settings: RabbitMqPubSubSettings, topic: string): ExchangeSpec {
  return { name: topic, kind: settings.exchangeKind, options: { durable: settings.durable, autoDelete: settings.autoDelete } };
}

/** The queue of a consumer group for a topic, as daprd names it. */
export function queueName(settings: RabbitMqPubSubSettings, topic: string, subscription: Readonly<Record<string, string>>): string {
  return metadataValue(subscription, 'queueName') || `${settings.consumerId}-${topic}`;
}

/**
 * Plans the declarations for a subscription from the component settings and the subscription
 * metadata (`queueName`, `routingKey`, `maxPriority`, `queueType`, `singleActiveConsumer`, `maxLen`, `maxLenBytes`).
 * @throws Error for subscription metadata RabbitMQ cannot take.
 */
export function planSubscription(settings: RabbitMqPubSubSettings, topic: string, subscription: Readonly<Record<string, string>>): SubscriptionTopology {
  const queue = queueName(settings, topic, subscription);
  const limits: Record<string, unknown> = {};
  if (settings.maxLen !== undefined) limits['x-max-length'] = settings.maxLen;
  if (settings.maxLenBytes !== undefined) limits['x-max-length-bytes'] = settings.maxLenBytes;

  const args: Record<string, unknown> = {};
  let deadLetter: SubscriptionTopology['deadLetter'];
  if (settings.enableDeadLetter) {
    const dlx = `dlx-${queue}`;
    deadLetter = {
      // The dead-letter exchange and queue are always durable, as in daprd; the queue is lazy (kept on disk).
      exchange: { name: dlx, kind: 'fanout', options: { durable: true, autoDelete: settings.autoDelete } },
      queue: `dlq-${queue}`,
      queueOptions: { durable: true, autoDelete: settings.autoDelete, arguments: { ...limits, 'x-queue-mode': 'lazy' } },
    };
    args['x-dead-letter-exchange'] = dlx;
  }
  Object.assign(args, limits);
  const maxPriority = unsigned(subscription, 'maxPriority');
  if (maxPriority !== undefined) args['x-max-priority'] = Math.min(maxPriority, 255);
  const queueType = metadataValue(subscription, 'queueType') || 'classic';
  if (queueType !== 'classic' && queueType !== 'quorum') throw new Error(`invalid queue type ${queueType}. Valid types are classic and quorum`);
  args['x-queue-type'] = queueType;
  if (parseBoolean(metadataValue(subscription, 'singleActiveConsumer')) === true) args['x-single-active-consumer'] = true;
  const maxLenBytes = unsigned(subscription, 'maxLenBytes');
  if (maxLenBytes !== undefined) args['x-max-length-bytes'] = maxLenBytes;
  const maxLen = unsigned(subscription, 'maxLen');
  if (maxLen !== undefined) args['x-max-length'] = maxLen;

  return {
    exchange: topicExchange(settings, topic),
    queue,
    queueOptions: { durable: settings.durable, autoDelete: settings.autoDelete, exclusive: false, arguments: args },
    routingKeys: (metadataValue(subscription, 'routingKey') ?? '').split(','),
    deadLetter,
  };
}

/** Declares the exchanges and queues of a subscription and binds them, on `channel`. */
export async function declareSubscription(channel: Channel, plan: SubscriptionTopology): Promise<void> {
  await channel.assertExchange(plan.exchange.name, plan.exchange.kind, plan.exchange.options);
  if (plan.deadLetter) {
    await channel.assertExchange(plan.deadLetter.exchange.name, plan.deadLetter.exchange.kind, plan.deadLetter.exchange.options);
    await channel.assertQueue(plan.deadLetter.queue, plan.deadLetter.queueOptions);
    await channel.bindQueue(plan.deadLetter.queue, plan.deadLetter.exchange.name, '');
  }
  await channel.assertQueue(plan.queue, plan.queueOptions);
  for (const key of plan.routingKeys) await channel.bindQueue(plan.queue, plan.exchange.name, key);
}

function unsigned(metadata: Readonly<Record<string, string>>, name: string): number | undefined {
  const raw = metadataValue(metadata, name);
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw.trim())) throw new Error(`can't parse ${name} value "${raw}" on subscription metadata`);
  return Number(raw);
}
