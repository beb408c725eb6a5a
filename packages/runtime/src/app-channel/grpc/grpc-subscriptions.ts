import type { ListTopicSubscriptionsResponse, TopicSubscription } from '@dapr/dapr/proto/dapr/proto/runtime/v1/appcallback_pb.js';
import { bulkOptions, type RouteRule, type Subscription } from '../../blocks/pubsub/subscription-model.js';
import { compileCel } from '../../internal/cel.js';
import type { AppSubscriptions } from '../app-channel.js';

/**
 * Reads `ListTopicSubscriptions` as daprd does: paths are kept exactly as the app gave them (they
 * come back in `TopicEventRequest.path`, which SDKs route on), and a subscription with no rules and
 * no default route gets the default route `""`. Unusable entries are reported, not thrown.
 */
export function subscriptionsFromGrpc(response: ListTopicSubscriptionsResponse): AppSubscriptions {
  const subscriptions: Subscription[] = [];
  const problems: string[] = [];
  for (const [index, entry] of response.subscriptions.entries()) {
    if (entry.pubsubName === '' || entry.topic === '') {
      problems.push(`ListTopicSubscriptions: entry ${index} needs pubsub_name and topic`);
      continue;
    }
    try {
      subscriptions.push(fromTopicSubscription(entry));
    } catch (error) {
      problems.push(`ListTopicSubscriptions: ${entry.pubsubName}/${entry.topic}: ${(error as Error).message}`);
    }
  }
  return { subscriptions, problems };
}

function fromTopicSubscription(entry: TopicSubscription): Subscription {
  const rules: RouteRule[] = (entry.routes?.rules ?? []).map((rule) => ({ match: rule.match.trim(), path: rule.path }));
  for (const rule of rules) {
    if (rule.match === '') continue;
    try {
      compileCel(rule.match);
    } catch (error) {
      throw new Error(`rule "${rule.match}" is not valid CEL: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  const declaredDefault = entry.routes?.default ?? '';
  return {
    pubsubName: entry.pubsubName,
    topic: entry.topic,
    rules,
    defaultPath: declaredDefault !== '' ? declaredDefault : rules.length === 0 ? '' : undefined,
    metadata: { ...entry.metadata },
    deadLetterTopic: entry.deadLetterTopic === '' ? undefined : entry.deadLetterTopic,
    bulkSubscribe: bulkOptions(entry.bulkSubscribe),
    type: 'PROGRAMMATIC',
  };
}
