import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, waitFor } from '@outrigger/kit';
import type { MessageHandler, PubSub, PubSubMessage, PublishRequest } from '@outrigger/components-api';
import { MessageNotHandledError, TopicSubscriber } from '../blocks/pubsub/topic-subscriber.js';
import type { DeliveryResult } from '../blocks/pubsub/delivery.js';
import type { Subscription } from '../blocks/pubsub/subscription-model.js';
import type { Located } from '../resources/load-resources.js';
import type { ResiliencyResource } from '../resources/resource-schemas.js';
import { Resiliency } from './resiliency.js';

const logger = createLogger({ scope: 'test', level: 'silent' });

/** A broker stand-in: hands messages to the subscriber's handler and records what is published. */
function fakePubSub() {
  let handler: MessageHandler | undefined;
  const published: PublishRequest[] = [];
  const pubsub = {
    init: async () => undefined,
    close: async () => undefined,
    features: () => [],
    publish: async (request: PublishRequest) => {
      published.push(request);
    },
    subscribe: async (_request: unknown, onMessage: MessageHandler) => {
      handler = onMessage;
      return { close: async () => undefined };
    },
  } satisfies PubSub;
  const deliver = (message: PubSubMessage) => {
    if (!handler) throw new Error('not subscribed');
    return handler(message);
  };
  return { pubsub, published, deliver };
}

const subscription: Subscription = {
  pubsubName: 'pubsub', topic: 'orders', rules: [], defaultPath: '/orders', metadata: {}, deadLetterTopic: 'orders-dead', bulkSubscribe: undefined, type: 'DECLARATIVE',
};

const message: PubSubMessage = { topic: 'orders', data: Buffer.from(JSON.stringify({ specversion: '1.0', id: 'm1', source: 's', type: 't', data: { n: 1 } })) };

function retryForever(): Resiliency {
  const resource = {
    apiVersion: 'dapr.io/v1alpha1', kind: 'Resiliency', metadata: { name: 'r' }, origin: { file: 'r.yaml' },
    spec: { policies: { retries: { forever: { policy: 'constant', duration: '10ms', maxRetries: -1 } } }, targets: { components: { pubsub: { inbound: { retry: 'forever' } } } } },
  } as unknown as Located<ResiliencyResource>;
  return new Resiliency([resource], { logger });
}

describe('pub/sub delivery under resiliency policies', () => {
  it('hands a message in retry back to the broker on stop, never to the dead-letter topic', async () => {
    const broker = fakePubSub();
    let deliveries = 0;
    const channel = {
      deliverTopicEvent: async (): Promise<DeliveryResult> => {
        deliveries++;
        return { outcome: 'retry', detail: 'the app answered 500' };
      },
      deliverBulkTopicEvent: async () => new Map<string, DeliveryResult>(),
    };
    const subscriber = new TopicSubscriber(subscription, broker.pubsub, channel, logger, retryForever().forComponentInbound('pubsub', 'pubsub'));
    await subscriber.start();
    const handled = broker.deliver(message);
    await waitFor('a few retries', () => deliveries >= 3, 5_000, 5);
    await subscriber.stop();
    await assert.rejects(handled, (error: unknown) => error instanceof MessageNotHandledError && /not delivered before shutdown/.test(error.message));
    assert.equal(broker.published.length, 0, 'nothing went to the dead-letter topic');
  });

  it('sends a dropped message to the dead-letter topic without retrying it', async () => {
    const broker = fakePubSub();
    let deliveries = 0;
    const channel = {
      deliverTopicEvent: async (): Promise<DeliveryResult> => {
        deliveries++;
        return { outcome: 'drop', detail: 'the app answered DROP' };
      },
      deliverBulkTopicEvent: async () => new Map<string, DeliveryResult>(),
    };
    const subscriber = new TopicSubscriber(subscription, broker.pubsub, channel, logger, retryForever().forComponentInbound('pubsub', 'pubsub'));
    await subscriber.start();
    await broker.deliver(message);
    assert.equal(deliveries, 1);
    assert.deepEqual(broker.published.map((request) => request.topic), ['orders-dead']);
    await subscriber.stop();
  });
});
