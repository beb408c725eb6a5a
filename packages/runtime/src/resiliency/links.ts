import { delay, type ChainLink } from '@outrigger/kit';
import type { CircuitBreaker } from './circuit-breaker.js';
import { CircuitBreakerOpenError, FailedAnswerError, PermanentError, PolicyTimeoutError } from './errors.js';
import { matchesCode, retriesLeft, retryDelayMs, type RetryPolicy } from './retry-policy.js';

/** What every attempt gets: a signal that aborts when the attempt's timeout runs out or the caller gives up. */
export interface AttemptContext {
  readonly signal: AbortSignal | undefined;
  /** 0 for the first attempt. */
  readonly attempt: number;
}

/** A link that works for any result type, so one chain of policies serves every operation. */
export type PolicyLink = <Result>(context: AttemptContext, next: (context: AttemptContext) => Promise<Result>) => Promise<Result>;

/** Links are ChainLinks of kit's `compose`; this states it once for the type checker. */
export function asChainLink<Result>(link: PolicyLink): ChainLink<AttemptContext, Result> {
  return (context, next) => link(context, next);
}

/**
 * Cuts an attempt after `timeoutMs`: the caller gets PolicyTimeoutError at once and the attempt's signal
 * aborts, so an operation that listens (an HTTP request) stops too.
 */
export function timeoutLink(timeoutMs: number, onTimeout?: () => void): PolicyLink {
  return (context, next) => {
    const controller = new AbortController();
    const parent = context.signal;
    const forward = () => controller.abort(parent?.reason);
    parent?.addEventListener('abort', forward, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new PolicyTimeoutError(timeoutMs);
        onTimeout?.();
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    const attempt = next({ ...context, signal: controller.signal });
    // A late failure of an attempt already cut is nobody's business.
    attempt.catch(() => undefined);
    return Promise.race([attempt, timedOut]).finally(() => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', forward);
    });
  };
}

/**
 * Runs each attempt through the breaker. An open breaker fails the attempt at once with a permanent
 * error, so the retry policy stops too (as daprd does). `isFailure` says which errors count against it.
 */
export function circuitBreakerLink(breaker: CircuitBreaker, isFailure: (error: unknown) => boolean): PolicyLink {
  return async (context, next) => {
    try {
      return await breaker.execute(() => next(context), isFailure);
    } catch (error) {
      if (error instanceof CircuitBreakerOpenError) throw new PermanentError(error);
      throw error;
    }
  };
}

export interface RetryHooks {
  /** Waits between attempts; rejects when the signal aborts. Injectable for tests. */
  readonly sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  readonly random?: () => number;
  /** Only errors this accepts are retried (the built-in service retries take connection failures only). */
  readonly retryable?: (error: unknown) => boolean;
  readonly onRetry?: (policy: RetryPolicy, retry: number, error: unknown, waitMs: number) => void;
}

/**
 * Runs the rest of the chain again while it fails, as the policy allows: not for permanent errors,
 * not for failed answers whose code `matching` leaves out, and not once the caller's signal aborted
 * (the last error is thrown then).
 */
export function retryLink(policy: RetryPolicy, hooks: RetryHooks = {}): PolicyLink {
  // kit's delay drops its abort listener when the time is up: a subscription's long-lived stop signal collects none.
  const sleep = hooks.sleep ?? delay;
  return async <Result>(context: AttemptContext, next: (context: AttemptContext) => Promise<Result>): Promise<Result> => {
    for (let retry = 0; ; retry++) {
      try {
        return await next({ ...context, attempt: retry });
      } catch (error) {
        if (error instanceof PermanentError) throw error;
        if (error instanceof FailedAnswerError && !matchesCode(policy, error.code)) throw error;
        if (hooks.retryable && !hooks.retryable(error)) throw error;
        if (!retriesLeft(policy, retry) || context.signal?.aborted) throw error;
        const waitMs = retryDelayMs(policy, retry, hooks.random);
        hooks.onRetry?.(policy, retry, error, waitMs);
        try {
          await sleep(waitMs, context.signal);
        } catch {
          throw error;
        }
      }
    }
  };
}
