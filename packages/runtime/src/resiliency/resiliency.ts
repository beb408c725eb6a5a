import { compose, errorMessage, type Logger } from '@outrigger/kit';
import type { Located } from '../resources/load-resources.js';
import type { ResiliencyResource } from '../resources/resource-schemas.js';
import { builtInPubsubDeliveryRetries, builtInRetries, builtInRetryNames, componentKeywords, defaultPolicyPrefixes } from './built-in-policies.js';
import { loadCel } from '../internal/cel.js';
import { CircuitBreaker, circuitBreakerPolicyFromSpec, type BreakerState, type CircuitBreakerPolicy } from './circuit-breaker.js';
import { durationField } from './durations.js';
import { PermanentError, unwrapPermanent } from './errors.js';
import { asChainLink, circuitBreakerLink, retryLink, timeoutLink, type AttemptContext, type PolicyLink, type RetryHooks } from './links.js';
import { retryPolicyFromSpec, type RetryPolicy, type RetrySpec } from './retry-policy.js';

/**
 * The labels daprd puts on dapr_resiliency_count, _activations_total and _cb_state: the Resiliency
 * resource (daprd names the last one loaded), the kind of policy, the flow direction, the target
 * (`app_<id>`, `<ComponentType>_<component>`) and, for circuit breakers, their state.
 */
export interface PolicyMetricLabels {
  readonly resiliency: string;
  readonly namespace: string;
  readonly policy: 'timeout' | 'retry' | 'circuitbreaker';
  readonly direction: Direction;
  readonly target: string;
  readonly status: string;
}

/**
 * Events for metrics (dapr_resiliency_*) or tests; the module itself only logs. `executed`: a policy
 * applied to an operation (once per operation and policy, as daprd counts); `activated`: a retry
 * happened, a timeout fired, or a circuit breaker changed state. Only policies from Resiliency
 * resources are reported, not the built-in ones.
 */
export type ResiliencyEvent =
  | { readonly type: 'loaded'; readonly resiliency: string; readonly namespace: string }
  | { readonly type: 'retry'; readonly target: string; readonly policy: string; readonly retry: number; readonly waitMs: number }
  | { readonly type: 'breaker-state'; readonly target: string; readonly policy: string; readonly from: BreakerState; readonly to: BreakerState }
  | { readonly type: 'executed'; readonly labels: PolicyMetricLabels }
  | { readonly type: 'activated'; readonly labels: PolicyMetricLabels };

/** Where a runner's policies are counted in metrics; undefined for the built-in policies. */
interface MetricTarget {
  readonly target: string;
  readonly direction: Direction;
}

export interface ResiliencyOptions {
  readonly logger: Logger;
  readonly now?: () => number;
  readonly sleep?: RetryHooks['sleep'];
  readonly random?: () => number;
  readonly onEvent?: (event: ResiliencyEvent) => void;
}

/** The policies that apply to one target and direction; `run` composes them around an operation. */
export interface PolicyRunner {
  /** e.g. `app[orders]`, `component[statestore] outbound`; used in logs. */
  readonly target: string;
  readonly timeoutMs: number | undefined;
  readonly retry: RetryPolicy | undefined;
  readonly breaker: CircuitBreaker | undefined;
  /** Whether a Resiliency resource (a target entry or a Default* policy) decided these policies. */
  readonly configured: boolean;
  /**
   * Runs `operation` through retry → circuit breaker → timeout, daprd's order: the timeout cuts each
   * attempt, the breaker counts each attempt, the retry policy repeats attempts. Throws the last
   * attempt's error (permanent errors unwrapped).
   */
  run<T>(operation: (context: AttemptContext) => Promise<T>, options?: { signal?: AbortSignal; retryable?: (error: unknown) => boolean }): Promise<T>;
}

type Direction = 'inbound' | 'outbound';

interface TargetPolicyNames {
  readonly timeout?: string;
  readonly retry?: string;
  readonly circuitBreaker?: string;
}

/**
 * Every Resiliency resource of the sidecar (scopes are already applied by the loader), merged:
 * named timeouts, retries and circuit breakers, and targets (apps, components in and out, actors).
 * A resource that names an unknown policy or has an invalid policy is logged and skipped, as daprd does.
 */
export class Resiliency {
  private readonly timeouts = new Map<string, number>();
  private readonly retries = new Map<string, RetryPolicy>();
  private readonly breakerPolicies = new Map<string, CircuitBreakerPolicy>();
  private readonly apps = new Map<string, TargetPolicyNames>();
  private readonly components = new Map<string, Partial<Record<Direction, TargetPolicyNames>>>();
  /** Actor targets are kept for when actors exist; nothing applies them yet. */
  readonly actors = new Map<string, TargetPolicyNames & { circuitBreakerScope?: string; circuitBreakerCacheSize?: number }>();
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly runners = new Map<string, PolicyRunner>();
  /** The Resiliency resource metrics name: the last one loaded, as in daprd. */
  private source = { name: '', namespace: '' };

  /** Loads CEL first when a resource defines circuit breakers (their trip is CEL), then constructs. */
  static async create(resources: readonly Located<ResiliencyResource>[], options: ResiliencyOptions): Promise<Resiliency> {
    if (resources.some((resource) => Object.keys(resource.spec.policies?.circuitBreakers ?? {}).length > 0)) await loadCel();
    return new Resiliency(resources, options);
  }

  /** Without circuit breakers, or after loadCel(); see create(). */
  constructor(resources: readonly Located<ResiliencyResource>[], private readonly options: ResiliencyOptions) {
    for (const resource of resources) {
      const name = resource.metadata.name;
      try {
        this.load(resource);
        this.source = { name, namespace: resource.metadata.namespace ?? '' };
        options.logger.info(`resiliency configuration loaded: ${name} (${resource.origin.file})`);
        options.onEvent?.({ type: 'loaded', resiliency: name, namespace: this.source.namespace });
      } catch (error) {
        options.logger.error(`resiliency configuration ${name} (${resource.origin.file}) skipped: ${errorMessage(error)}`);
      }
    }
  }

  /**
   * Policies for a URL target of service invocation: its own `targets.apps` entry when it has one, else the
   * Default* app policies, in one runner shared by every such URL. A caller can name ever new URLs; a
   * runner (and circuit breaker) kept for each would grow without bound.
   */
  forUrlTarget(url: string): PolicyRunner {
    if (this.apps.has(url)) return this.forApp(url);
    return this.runner('app[URL targets]', () => this.defaults(defaultPolicyPrefixes({ kind: 'app' })), { target: 'app_url-targets', direction: 'outbound' });
  }

  /** Policies for service invocation of app `appId` (from this sidecar to the app's sidecar). */
  forApp(appId: string): PolicyRunner {
    return this.runner(`app[${appId}]`, () => {
      const names = this.apps.get(appId);
      return names ? { names, configured: true } : this.defaults(defaultPolicyPrefixes({ kind: 'app' }));
    }, { target: `app_${appId}`, direction: 'outbound' });
  }

  /** Policies for calls from the sidecar into a component (`block` is the component's building block). */
  forComponentOutbound(component: string, block: string): PolicyRunner {
    return this.componentRunner(component, block, 'outbound');
  }

  /** Policies for deliveries a component brings to the app (pub/sub messages, input binding events). */
  forComponentInbound(component: string, block: string): PolicyRunner {
    const runner = this.componentRunner(component, block, 'inbound');
    if (block !== 'pubsub' || runner.configured) return runner;
    // No Resiliency speaks for this pub/sub: Outrigger's built-in delivery retries apply.
    return this.runner(`component[${component}] inbound (built-in)`, () => ({ names: {}, configured: false, retry: builtInPubsubDeliveryRetries }));
  }

  /** A built-in retry policy, or the user's policy of the same name, which replaces it. */
  builtInRetry(name: (typeof builtInRetryNames)[keyof typeof builtInRetryNames]): RetryPolicy {
    return this.retries.get(name) ?? (builtInRetries[name] as RetryPolicy);
  }

  /** A built-in retry policy (or the user's replacement) as a runner, e.g. for initialization calls to the app. */
  builtInRunner(name: (typeof builtInRetryNames)[keyof typeof builtInRetryNames]): PolicyRunner {
    return this.runner(`built-in[${name}]`, () => ({ names: {}, configured: false, retry: this.builtInRetry(name) }));
  }

  /** Runs with the built-in service retries: only errors `retryable` accepts (unreachable sidecar) are retried. */
  builtInServiceRunner(appId: string): PolicyRunner {
    return this.runner(`app[${appId}] (built-in)`, () => ({ names: {}, configured: false, retry: this.builtInRetry(builtInRetryNames.service) }));
  }

  private componentRunner(component: string, block: string, direction: Direction): PolicyRunner {
    return this.runner(`component[${component}] ${direction}`, () => {
      const names = this.components.get(component)?.[direction];
      return names ? { names, configured: true } : this.defaults(defaultPolicyPrefixes({ kind: 'component', block, direction }));
    }, { target: `${componentKeywords[block] ?? block}_${component}`, direction });
  }

  /** The most specific Default* policy of each kind; each kind is looked up on its own. */
  private defaults(prefixes: readonly string[]): { names: TargetPolicyNames; configured: boolean } {
    const find = <T>(map: Map<string, T>, suffix: string) => prefixes.map((prefix) => `${prefix}${suffix}`).find((name) => map.has(name));
    const names: TargetPolicyNames = { timeout: find(this.timeouts, 'TimeoutPolicy'), retry: find(this.retries, 'RetryPolicy'), circuitBreaker: find(this.breakerPolicies, 'CircuitBreakerPolicy') };
    return { names, configured: names.timeout !== undefined || names.retry !== undefined || names.circuitBreaker !== undefined };
  }

  private runner(target: string, resolve: () => { names: TargetPolicyNames; configured: boolean; retry?: RetryPolicy }, metric?: MetricTarget): PolicyRunner {
    const cached = this.runners.get(target);
    if (cached) return cached;
    const { names, configured, retry: fixedRetry } = resolve();
    const timeoutMs = names.timeout === undefined ? undefined : this.timeouts.get(names.timeout);
    const retry = fixedRetry ?? (names.retry === undefined ? undefined : this.retries.get(names.retry));
    const breakerPolicy = names.circuitBreaker === undefined ? undefined : this.breakerPolicies.get(names.circuitBreaker);
    // The built-in pub/sub delivery retries stand in for a missing policy; they are not counted.
    const counted = metric && !fixedRetry ? metric : undefined;
    const breaker = breakerPolicy && this.breakerFor(target, breakerPolicy, counted);
    if (configured) {
      const parts = [timeoutMs !== undefined && `timeout ${names.timeout}`, retry && `retry ${retry.name}`, breaker && `circuit breaker ${breakerPolicy.name}`].filter(Boolean);
      this.options.logger.info(`resiliency policies for ${target}: ${parts.join(', ')}`);
    }
    const { sleep, random, onEvent } = this.options;
    const report = counted && onEvent
      ? (type: 'executed' | 'activated', policy: PolicyMetricLabels['policy'], status = '') => onEvent({ type, labels: this.metricLabels(counted, policy, status) })
      : undefined;
    const runner: PolicyRunner = {
      target, timeoutMs, retry, breaker, configured,
      run: <T>(operation: (context: AttemptContext) => Promise<T>, options: { signal?: AbortSignal; retryable?: (error: unknown) => boolean } = {}) => {
        if (report) {
          if (timeoutMs !== undefined && timeoutMs > 0) report('executed', 'timeout');
          if (retry) report('executed', 'retry');
          if (breaker) report('executed', 'circuitbreaker', breaker.state);
        }
        const links: PolicyLink[] = [];
        if (retry) {
          links.push(retryLink(retry, {
            sleep, random, retryable: options.retryable,
            onRetry: (policy, retryNumber, error, waitMs) => {
              this.options.logger.debug(`${target}: retry ${retryNumber + 1} (${policy.name}) in ${Math.round(waitMs)} ms after: ${errorMessage(unwrapPermanent(error))}`);
              onEvent?.({ type: 'retry', target, policy: policy.name, retry: retryNumber, waitMs });
              report?.('activated', 'retry');
            },
          }));
        }
        if (breaker) links.push(circuitBreakerLink(breaker, (error) => !(error instanceof PermanentError && error.calleeHealthy)));
        if (timeoutMs !== undefined && timeoutMs > 0) links.push(timeoutLink(timeoutMs, report && (() => report('activated', 'timeout'))));
        const chain = compose<AttemptContext, T>(links.map((link) => asChainLink<T>(link)), operation);
        return chain({ signal: options.signal, attempt: 0 }).catch((error: unknown) => {
          throw unwrapPermanent(error);
        });
      },
    };
    this.runners.set(target, runner);
    return runner;
  }

  private breakerFor(target: string, policy: CircuitBreakerPolicy, metric: MetricTarget | undefined): CircuitBreaker {
    let breaker = this.breakers.get(target);
    if (!breaker) {
      breaker = new CircuitBreaker(target, policy, this.options.now, (from, to) => {
        this.options.logger.info(`circuit breaker ${policy.name} for ${target} changed state from ${from} to ${to}`);
        this.options.onEvent?.({ type: 'breaker-state', target, policy: policy.name, from, to });
        if (metric) this.options.onEvent?.({ type: 'activated', labels: this.metricLabels(metric, 'circuitbreaker', to) });
      });
      this.breakers.set(target, breaker);
    }
    return breaker;
  }

  /** The labels of a policy's metric event, under the Resiliency resource metrics name (see `source`). */
  private metricLabels(metric: MetricTarget, policy: PolicyMetricLabels['policy'], status: string): PolicyMetricLabels {
    return { resiliency: this.source.name, namespace: this.source.namespace, policy, ...metric, status };
  }

  /** Reads one resource whole before adding anything, so a bad resource leaves no half of itself behind. */
  private load(resource: ResiliencyResource): void {
    const policies = resource.spec.policies ?? {};
    const timeouts = new Map<string, number>();
    for (const [name, value] of Object.entries(policies.timeouts ?? {})) {
      try {
        timeouts.set(name, durationField(value, 0));
      } catch (error) {
        throw new Error(`timeout "${name}": ${errorMessage(error)}`);
      }
    }
    const retries = new Map(Object.entries(policies.retries ?? {}).map(([name, spec]) => [name, retryPolicyFromSpec(name, spec as RetrySpec)]));
    const breakers = new Map(Object.entries(policies.circuitBreakers ?? {}).map(([name, spec]) => [name, circuitBreakerPolicyFromSpec(name, spec)]));
    const known = {
      timeout: (name: string) => timeouts.has(name) || this.timeouts.has(name),
      retry: (name: string) => retries.has(name) || this.retries.has(name),
      circuitBreaker: (name: string) => breakers.has(name) || this.breakerPolicies.has(name),
    };
    const readNames = (where: string, raw: unknown): TargetPolicyNames => {
      const entry = (raw ?? {}) as Record<string, unknown>;
      const names: Record<string, string> = {};
      for (const kind of ['timeout', 'retry', 'circuitBreaker'] as const) {
        const value = entry[kind];
        if (value === undefined || value === '') continue;
        if (typeof value !== 'string') throw new Error(`${where}: field "${kind}" must be a policy name`);
        if (!known[kind](value)) throw new Error(`${where}: ${kind} policy "${value}" is not defined`);
        names[kind] = value;
      }
      return names;
    };
    const targets = resource.spec.targets ?? {};
    const apps = Object.entries(targets.apps ?? {}).map(([appId, entry]) => [appId, readNames(`targets.apps.${appId}`, entry)] as const);
    const components = Object.entries(targets.components ?? {}).map(([component, entry]) => {
      const directions: Partial<Record<Direction, TargetPolicyNames>> = {};
      for (const direction of ['inbound', 'outbound'] as const) {
        const value = (entry as Record<string, unknown>)[direction];
        if (value !== undefined) directions[direction] = readNames(`targets.components.${component}.${direction}`, value);
      }
      return [component, directions] as const;
    });
    const actors = Object.entries(targets.actors ?? {}).map(([actorType, entry]) => {
      const extra = entry as { circuitBreakerScope?: unknown; circuitBreakerCacheSize?: unknown };
      return [actorType, {
        ...readNames(`targets.actors.${actorType}`, entry),
        ...(typeof extra.circuitBreakerScope === 'string' ? { circuitBreakerScope: extra.circuitBreakerScope } : {}),
        ...(typeof extra.circuitBreakerCacheSize === 'number' ? { circuitBreakerCacheSize: extra.circuitBreakerCacheSize } : {}),
      }] as const;
    });
    mergeInto(this.timeouts, timeouts, 'timeout', this.options.logger);
    mergeInto(this.retries, retries, 'retry policy', this.options.logger);
    mergeInto(this.breakerPolicies, breakers, 'circuit breaker', this.options.logger);
    mergeInto(this.apps, new Map(apps), 'app target', this.options.logger);
    mergeInto(this.components, new Map(components), 'component target', this.options.logger);
    mergeInto(this.actors, new Map(actors), 'actor target', this.options.logger);
  }
}

/** Several resources may define the same name; the first one loaded keeps it. */
function mergeInto<T>(into: Map<string, T>, from: Map<string, T>, what: string, logger: Logger): void {
  for (const [name, value] of from) {
    if (into.has(name)) logger.warn(`resiliency: ${what} "${name}" is defined twice; the first one is kept`);
    else into.set(name, value);
  }
}
