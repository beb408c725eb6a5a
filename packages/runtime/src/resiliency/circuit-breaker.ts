import { compileCel } from '../internal/cel.js';
import { durationField } from './durations.js';
import { CircuitBreakerOpenError } from './errors.js';

/** What the `trip` expression sees: the counts since the last state change (or `interval` reset). */
export interface BreakerCounts {
  requests: number;
  totalSuccesses: number;
  totalFailures: number;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/** A circuit breaker policy as Dapr defines it, with its defaults filled in. */
export interface CircuitBreakerPolicy {
  readonly name: string;
  /** Calls let through while half-open; that many successes in a row close the breaker. */
  readonly maxRequests: number;
  /** While closed, counts are cleared this often; 0 never clears them. */
  readonly intervalMs: number;
  /** How long the breaker stays open before it lets a probe through (half-open). */
  readonly timeoutMs: number;
  readonly trip: string;
  readonly shouldTrip: (counts: Readonly<BreakerCounts>) => boolean;
}

export interface CircuitBreakerSpec {
  readonly maxRequests?: number;
  readonly interval?: string;
  readonly timeout?: string;
  readonly trip?: string;
}

/** daprd's defaults, which are sony/gobreaker's: one probe, a 60 s open state, trip after more than 5 failures in a row. */
const defaultTrip = 'consecutiveFailures > 5';

/** Builds a policy from its YAML; the trip expression is CEL over the counts (await loadCel() first). @throws Error naming the field */
export function circuitBreakerPolicyFromSpec(name: string, spec: CircuitBreakerSpec): CircuitBreakerPolicy {
  const fail = (field: string, error: unknown) => new Error(`circuit breaker "${name}": field "${field}": ${error instanceof Error ? error.message : String(error)}`);
  const trip = spec.trip === undefined || spec.trip.trim() === '' ? defaultTrip : spec.trip;
  let evaluate: (context: Record<string, unknown>) => unknown;
  try {
    evaluate = compileCel(trip);
  } catch (error) {
    throw fail('trip', error);
  }
  let intervalMs: number;
  let timeoutMs: number;
  try {
    intervalMs = durationField(spec.interval, 0);
  } catch (error) {
    throw fail('interval', error);
  }
  try {
    timeoutMs = durationField(spec.timeout, 60_000) || 60_000;
  } catch (error) {
    throw fail('timeout', error);
  }
  return {
    name,
    maxRequests: spec.maxRequests === undefined || spec.maxRequests === 0 ? 1 : spec.maxRequests,
    intervalMs,
    timeoutMs,
    trip,
    // An expression that fails to evaluate or does not give true does not trip.
    shouldTrip: (counts) => {
      try {
        return evaluate({ ...counts }) === true;
      } catch {
        return false;
      }
    },
  };
}

const zeroCounts = (): BreakerCounts => ({ requests: 0, totalSuccesses: 0, totalFailures: 0, consecutiveSuccesses: 0, consecutiveFailures: 0 });

/**
 * One breaker's state machine (one per target, so apps and components trip independently):
 * closed → open when `trip` holds after a failure; open → half-open once `timeout` has passed;
 * half-open lets `maxRequests` calls through, closes after that many successes, reopens on a failure.
 * Counts start again at every state change. The clock is injectable so tests need no sleeps.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private counts = zeroCounts();
  private generation = 0;
  /** closed: when counts clear (0: never); open: when it half-opens. */
  private expiry = 0;

  constructor(
    readonly label: string,
    readonly policy: CircuitBreakerPolicy,
    private readonly now: () => number = Date.now,
    private readonly onStateChange?: (from: BreakerState, to: BreakerState) => void,
  ) {
    this.toState('closed', now(), false);
  }

  get state(): BreakerState {
    return this.refresh(this.now());
  }

  /** Runs one call through the breaker. @throws CircuitBreakerOpenError without calling `operation` */
  async execute<T>(operation: () => Promise<T>, isFailure: (error: unknown) => boolean = () => true): Promise<T> {
    const generation = this.before();
    let result: T;
    try {
      result = await operation();
    } catch (error) {
      this.after(generation, !isFailure(error));
      throw error;
    }
    this.after(generation, true);
    return result;
  }

  /** Claims a slot for one call. @throws CircuitBreakerOpenError */
  before(): number {
    const now = this.now();
    const state = this.refresh(now);
    if (state === 'open') throw new CircuitBreakerOpenError(this.label, 'open');
    if (state === 'half-open' && this.counts.requests >= this.policy.maxRequests) throw new CircuitBreakerOpenError(this.label, 'half-open');
    this.counts.requests++;
    return this.generation;
  }

  /** Records the outcome of a call claimed in `generation`; calls from an earlier state are ignored. */
  after(generation: number, success: boolean): void {
    const now = this.now();
    const state = this.refresh(now);
    if (generation !== this.generation) return;
    const counts = this.counts;
    if (success) {
      counts.totalSuccesses++;
      counts.consecutiveSuccesses++;
      counts.consecutiveFailures = 0;
      if (state === 'half-open' && counts.consecutiveSuccesses >= this.policy.maxRequests) this.toState('closed', now);
      return;
    }
    counts.totalFailures++;
    counts.consecutiveFailures++;
    counts.consecutiveSuccesses = 0;
    if (state === 'half-open' || (state === 'closed' && this.policy.shouldTrip(counts))) this.toState('open', now);
  }

  private refresh(now: number): BreakerState {
    if (this.current === 'closed' && this.expiry !== 0 && this.expiry <= now) this.newGeneration(now);
    else if (this.current === 'open' && this.expiry <= now) this.toState('half-open', now);
    return this.current;
  }

  private toState(state: BreakerState, now: number, notify = true): void {
    const from = this.current;
    this.current = state;
    this.newGeneration(now);
    if (notify && from !== state) this.onStateChange?.(from, state);
  }

  private newGeneration(now: number): void {
    this.generation++;
    this.counts = zeroCounts();
    if (this.current === 'closed') this.expiry = this.policy.intervalMs > 0 ? now + this.policy.intervalMs : 0;
    else if (this.current === 'open') this.expiry = now + this.policy.timeoutMs;
    else this.expiry = 0;
  }
}
