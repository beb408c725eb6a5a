import { errorMessage, type Logger } from '@outrigger/kit';
import type { AppChannel } from '../../app-channel/app-channel.js';
import { builtInRetryNames } from '../../resiliency/built-in-policies.js';
import { Resiliency } from '../../resiliency/resiliency.js';
import type { Located } from '../../resources/load-resources.js';
import type { SubscriptionResource } from '../../resources/resource-schemas.js';
import { fromResource, loadCelForRules, type Subscription } from './subscription-model.js';

/**
 * Gathers the app's subscriptions: declarative Subscription resources, then the app's own answer to
 * `GET /dapr/subscribe` (gRPC: `ListTopicSubscriptions`). For the same pub/sub and topic the programmatic one wins, with a warning.
 */
export async function discoverSubscriptions(channel: AppChannel | undefined, resources: readonly Located<SubscriptionResource>[], logger: Logger,
  resiliency: Resiliency = new Resiliency([], { logger })): Promise<Subscription[]> {
  const byTopic = new Map<string, Subscription>();
  await loadCelForRules(resources.map((resource) => resource.spec));
  for (const resource of resources) {
    try {
      const subscription = fromResource(resource);
      byTopic.set(`${subscription.pubsubName}\u0000${subscription.topic}`, subscription);
    } catch (error) {
      logger.error(`${resource.origin.file}: Subscription "${resource.metadata.name}": ${errorMessage(error)}`);
    }
  }
  if (channel) {
    for (const subscription of await askApp(channel, logger, resiliency)) {
      const key = `${subscription.pubsubName}\u0000${subscription.topic}`;
      if (byTopic.has(key)) logger.warn(`the app subscribes to ${subscription.pubsubName}/${subscription.topic}, which a Subscription resource also declares; the app's subscription is used`);
      byTopic.set(key, subscription);
    }
  }
  return [...byTopic.values()];
}

/** Asks the app, retried as daprd's DaprBuiltInInitializationRetries (or the user's policy of that name). */
async function askApp(channel: AppChannel, logger: Logger, resiliency: Resiliency): Promise<Subscription[]> {
  try {
    const { subscriptions, problems } = await resiliency.builtInRunner(builtInRetryNames.initialization).run(() => channel.listSubscriptions());
    for (const problem of problems) logger.error(problem);
    return subscriptions;
  } catch (error) {
    logger.error(`asking the app for its subscriptions failed: ${errorMessage(error)}; no programmatic subscriptions`);
    return [];
  }
}
