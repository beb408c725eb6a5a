import { compileCel, loadCel } from '../../internal/cel.js';
import type { SubscriptionResource } from '../../resources/resource-schemas.js';

export interface RouteRule {
  /** CEL over `event` (the CloudEvent); empty for the default route. */
  readonly match: string;
  readonly path: string;
}

export interface BulkSubscribeOptions {
  readonly enabled: boolean;
  readonly maxMessagesCount: number;
  readonly maxAwaitDurationMs: number;
}

/** One subscription in the form the runtime uses, whatever its source. */
export interface Subscription {
  readonly pubsubName: string;
  readonly topic: string;
  readonly rules: readonly RouteRule[];
  readonly defaultPath: string | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  readonly deadLetterTopic: string | undefined;
  readonly bulkSubscribe: BulkSubscribeOptions | undefined;
  readonly type: 'DECLARATIVE' | 'PROGRAMMATIC' | 'STREAMING';
}

/** Raised for a subscription that cannot be used, e.g. a rule that is not valid CEL. */
export class SubscriptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubscriptionError';
  }
}

const defaultBulk = { maxMessagesCount: 100, maxAwaitDurationMs: 1000 };

function normalisePath(path: string): string {
  return path.startsWith('/') ? path : `/${path}`;
}

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null) return {};
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, typeof item === 'string' ? item : JSON.stringify(item)]));
}

/** Bulk-subscribe settings from `{enabled, maxMessagesCount, maxAwaitDurationMs}`; Dapr's defaults for missing or zero counts. */
export function bulkOptions(value: unknown): BulkSubscribeOptions | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const raw = value as Record<string, unknown>;
  if (raw.enabled !== true) return undefined;
  const count = Number(raw.maxMessagesCount ?? defaultBulk.maxMessagesCount);
  const wait = Number(raw.maxAwaitDurationMs ?? defaultBulk.maxAwaitDurationMs);
  return {
    enabled: true,
    maxMessagesCount: Number.isFinite(count) && count > 0 ? count : defaultBulk.maxMessagesCount,
    maxAwaitDurationMs: Number.isFinite(wait) && wait > 0 ? wait : defaultBulk.maxAwaitDurationMs,
  };
}

/**
 * Reads the app's answer to `GET /dapr/subscribe`: v1 entries with `route`, v2 entries with
 * `routes: {rules, default}`. Entries that cannot be used are reported, not thrown.
 */
export function parseProgrammatic(body: unknown): { subscriptions: Subscription[]; problems: string[] } {
  const subscriptions: Subscription[] = [];
  const problems: string[] = [];
  if (!Array.isArray(body)) return { subscriptions, problems: ['the answer to GET /dapr/subscribe is not a JSON array'] };
  for (const [index, raw] of body.entries()) {
    if (typeof raw !== 'object' || raw === null) {
      problems.push(`entry ${index} is not an object`);
      continue;
    }
    const entry = raw as Record<string, unknown>;
    const pubsubName = typeof entry.pubsubname === 'string' ? entry.pubsubname : '';
    const topic = typeof entry.topic === 'string' ? entry.topic : '';
    if (pubsubName === '' || topic === '') {
      problems.push(`entry ${index} needs pubsubname and topic`);
      continue;
    }
    const routes = typeof entry.routes === 'object' && entry.routes !== null ? entry.routes as Record<string, unknown> : undefined;
    const rules = Array.isArray(routes?.rules)
      ? (routes.rules as unknown[]).flatMap((rule) => {
        const value = rule as Record<string, unknown>;
        return typeof value?.path === 'string' ? [{ match: typeof value.match === 'string' ? value.match : '', path: normalisePath(value.path) }] : [];
      })
      : [];
    const defaultRoute = typeof routes?.default === 'string' ? routes.default : typeof entry.route === 'string' ? entry.route : undefined;
    try {
      subscriptions.push(checked({
        pubsubName, topic, rules, defaultPath: defaultRoute ? normalisePath(defaultRoute) : undefined,
        metadata: stringRecord(entry.metadata),
        deadLetterTopic: typeof entry.deadLetterTopic === 'string' && entry.deadLetterTopic !== '' ? entry.deadLetterTopic : undefined,
        bulkSubscribe: bulkOptions(entry.bulkSubscribe), type: 'PROGRAMMATIC',
      }));
    } catch (error) {
      problems.push(`${pubsubName}/${topic}: ${(error as Error).message}`);
    }
  }
  return { subscriptions, problems };
}

/**
 * Loads CEL when any of the entries has a rule with a match expression; entries are Subscription
 * resource specs, items of `GET /dapr/subscribe` or gRPC TopicSubscriptions (all keep them in routes.rules).
 */
export async function loadCelForRules(entries: readonly unknown[]): Promise<void> {
  const hasMatch = entries.some((entry) => {
    const rules = (entry as { routes?: { rules?: unknown } } | null | undefined)?.routes?.rules;
    return Array.isArray(rules) && rules.some((rule) => typeof (rule as { match?: unknown } | null)?.match === 'string' && (rule as { match: string }).match.trim() !== '');
  });
  if (hasMatch) await loadCel();
}

/** Turns a Subscription resource (v1alpha1 or v2alpha1) into the runtime's form. @throws SubscriptionError */
export function fromResource(resource: SubscriptionResource): Subscription {
  const spec = resource.spec as Record<string, unknown> & { pubsubname: string; topic: string };
  const routes = spec.routes as { rules?: { match: string; path: string }[]; default?: string } | undefined;
  const route = typeof spec.route === 'string' ? spec.route : undefined;
  return checked({
    pubsubName: spec.pubsubname,
    topic: spec.topic,
    rules: (routes?.rules ?? []).map((rule) => ({ match: rule.match, path: normalisePath(rule.path) })),
    defaultPath: routes?.default ? normalisePath(routes.default) : route ? normalisePath(route) : undefined,
    metadata: stringRecord(spec.metadata),
    deadLetterTopic: typeof spec.deadLetterTopic === 'string' && spec.deadLetterTopic !== '' ? spec.deadLetterTopic : undefined,
    bulkSubscribe: bulkOptions(spec.bulkSubscribe),
    type: 'DECLARATIVE',
  });
}

function checked(subscription: Subscription): Subscription {
  if (subscription.rules.length === 0 && !subscription.defaultPath) throw new SubscriptionError('needs a route, a default route or a rule');
  for (const rule of subscription.rules) {
    if (rule.match === '') continue;
    try {
      compileCel(rule.match);
    } catch (error) {
      throw new SubscriptionError(`rule "${rule.match}" is not valid CEL: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return subscription;
}

/** Chooses the app path for an event: the first rule whose CEL matches, else the default. */
export class Router {
  private readonly compiled: { evaluate: ((context: Record<string, unknown>) => unknown) | undefined; path: string }[];

  constructor(private readonly subscription: Subscription) {
    this.compiled = subscription.rules.map((rule) => ({ evaluate: rule.match === '' ? undefined : compileCel(rule.match), path: rule.path }));
  }

  /** @returns the path, or undefined when no rule matches and there is no default. */
  route(event: Record<string, unknown>): string | undefined {
    for (const rule of this.compiled) {
      if (!rule.evaluate) return rule.path;
      try {
        if (rule.evaluate({ event }) === true) return rule.path;
      } catch {
        // A rule that reads a field the event lacks does not match.
      }
    }
    return this.subscription.defaultPath;
  }
}

/** The metadata API's view of a subscription. */
export function describeSubscription(subscription: Subscription): Record<string, unknown> {
  const rules = subscription.rules.map((rule) => ({ match: rule.match, path: rule.path }));
  if (subscription.defaultPath) rules.push({ match: '', path: subscription.defaultPath });
  return {
    pubsubname: subscription.pubsubName,
    topic: subscription.topic,
    metadata: subscription.metadata,
    rules,
    ...(subscription.deadLetterTopic ? { deadLetterTopic: subscription.deadLetterTopic } : {}),
    type: subscription.type,
  };
}
