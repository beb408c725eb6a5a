import type { RetryPolicy } from './retry-policy.js';

/**
 * daprd's built-in retries, under the names a Resiliency policy uses to replace them (a user policy
 * with one of these names replaces the built-in one whole; it is never stacked on it).
 */
export const builtInRetryNames = {
  /** Sidecar-to-sidecar invocations that fail to reach the other sidecar (gRPC Unavailable/Unauthenticated in daprd). */
  service: 'DaprBuiltInServiceRetries',
  actor: 'DaprBuiltInActorRetries',
  actorReminder: 'DaprBuiltInActorReminderRetries',
  initialization: 'DaprBuiltInInitializationRetries',
} as const;

const constant = (name: string, durationMs: number, maxRetries: number): RetryPolicy => ({
  name, policy: 'constant', durationMs, initialIntervalMs: durationMs, multiplier: 1, randomizationFactor: 0, maxIntervalMs: durationMs, maxRetries,
});

const exponential = (name: string, initialIntervalMs: number, maxIntervalMs: number, maxRetries: number, multiplier = 1.5, randomizationFactor = 0.5): RetryPolicy => ({
  name, policy: 'exponential', durationMs: initialIntervalMs, initialIntervalMs, multiplier, randomizationFactor, maxIntervalMs, maxRetries,
});

/**
 * The built-in retries with daprd's documented behaviour: service and actor calls retry 3 times 1 s
 * apart; reminders back off exponentially from 500 ms to 60 s (daprd also stops after 15 minutes;
 * here without an end); initialization retries 3 times from 500 ms (daprd also caps it at 10 s).
 */
export const builtInRetries: Readonly<Record<string, RetryPolicy>> = {
  [builtInRetryNames.service]: constant(builtInRetryNames.service, 1_000, 3),
  [builtInRetryNames.actor]: constant(builtInRetryNames.actor, 1_000, 3),
  [builtInRetryNames.actorReminder]: exponential(builtInRetryNames.actorReminder, 500, 60_000, -1),
  [builtInRetryNames.initialization]: exponential(builtInRetryNames.initialization, 500, 10_000, 3),
};

/**
 * Outrigger's own default for pub/sub delivery to the app when no Resiliency policy applies to the
 * component's inbound direction: 3 retries from 200 ms doubling up to 2 s, then the dead-letter topic.
 * daprd delivers once and leaves retries to the broker; see docs/resiliency.md.
 */
export const builtInPubsubDeliveryRetries: RetryPolicy = exponential('OutriggerBuiltInPubsubDeliveryRetries', 200, 2_000, 3, 2, 0);

/** The keyword daprd's default policy names use for each kind of component (`Default<Keyword>ComponentOutboundRetryPolicy`). */
export const componentKeywords: Readonly<Record<string, string>> = {
  state: 'Statestore',
  pubsub: 'Pubsub',
  bindings: 'Binding',
  secretstores: 'Secretstore',
  configuration: 'Configuration',
  lock: 'Lock',
  crypto: 'Crypto',
};

/**
 * The default policy names that apply to a target without its own entry, most specific first:
 * e.g. for a state store's outbound calls `DefaultStatestoreComponentOutbound`, `DefaultComponentOutbound`,
 * `DefaultComponent`, then the plain `Default`. Each gives `<name>RetryPolicy`, `...TimeoutPolicy`, `...CircuitBreakerPolicy`.
 */
export function defaultPolicyPrefixes(target: { kind: 'app' } | { kind: 'actor' } | { kind: 'component'; block: string; direction: 'inbound' | 'outbound' }): string[] {
  if (target.kind === 'app') return ['DefaultApp', 'Default'];
  if (target.kind === 'actor') return ['DefaultActor', 'Default'];
  const direction = target.direction === 'inbound' ? 'Inbound' : 'Outbound';
  const keyword = componentKeywords[target.block];
  return [...(keyword ? [`Default${keyword}Component${direction}`] : []), `DefaultComponent${direction}`, 'DefaultComponent', 'Default'];
}
