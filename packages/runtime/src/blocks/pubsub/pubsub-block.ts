import { errorMessage } from '@outrigger/kit';
import type { PubSub } from '@outrigger/components-api';
import { pubsubRoutes } from '../../api/http/pubsub-routes.js';
import type { SidecarBlock, SidecarContext } from '../sidecar-block.js';
import { PubSubApi } from './pubsub-api.js';
import { StreamingSubscriptions } from './streaming-subscriptions.js';
import { discoverSubscriptions } from './subscription-discovery.js';
import { describeSubscription, type Subscription } from './subscription-model.js';
import { topicAllowed } from './topic-scopes.js';
import { TopicSubscriber } from './topic-subscriber.js';

/**
 * Pub/sub: the publish API, subscriptions delivered to the app once it is ready, and streaming
 * subscriptions that clients open over gRPC (independent of the app, so they outlive inbound pauses).
 */
export function pubsubBlock(context: SidecarContext): SidecarBlock {
  const api = new PubSubApi(context.components, context.options.appId);
  const logger = context.logger;
  const streams = new StreamingSubscriptions(context.components, context.options.appId, logger);
  let subscriptions: Subscription[] = [];
  let subscribers: TopicSubscriber[] = [];

  return {
    name: 'pubsub',
    routes: () => pubsubRoutes(api),
    grpc: async () => (await import('../../api/grpc/pubsub-methods.js')).pubsubMethods(api, streams),
    async startInbound() {
      subscriptions = await discoverSubscriptions(context.appChannel, context.resources.subscriptions, logger, context.resiliency);
      const channel = context.appChannel;
      if (!channel) {
        if (subscriptions.length > 0) logger.warn('subscriptions are declared but the sidecar has no app (no --app-port); nothing is delivered');
        return;
      }
      for (const subscription of subscriptions) {
        const component = context.components.get(subscription.pubsubName);
        if (!component || component.registration.block !== 'pubsub') {
          logger.error(`subscription to ${subscription.pubsubName}/${subscription.topic}: no pub/sub component named ${subscription.pubsubName}`);
          continue;
        }
        if (!topicAllowed('subscribe', context.options.appId, subscription.topic, component.metadata)) {
          logger.warn(`subscription to ${subscription.pubsubName}/${subscription.topic} is not allowed by the component's topic scopes`);
          continue;
        }
        const subscriber = new TopicSubscriber(subscription, component.instance as PubSub, channel, logger,
          context.resiliency?.forComponentInbound(subscription.pubsubName, 'pubsub'));
        try {
          await subscriber.start();
          subscribers.push(subscriber);
          logger.info(`subscribed to ${subscription.pubsubName}/${subscription.topic}`);
        } catch (error) {
          logger.error(`subscribing to ${subscription.pubsubName}/${subscription.topic} failed: ${errorMessage(error)}`);
        }
      }
    },
    async stopInbound() {
      const stopping = subscribers;
      subscribers = [];
      await Promise.all(stopping.map((subscriber) => subscriber.stop().catch((error: unknown) => {
        logger.warn(`closing the subscription to ${subscriber.subscription.topic} failed: ${errorMessage(error)}`);
      })));
    },
    metadata: () => ({ subscriptions: [...subscriptions.map(describeSubscription), ...streams.describe()] }),
    close: () => streams.closeAll(),
  };
}
