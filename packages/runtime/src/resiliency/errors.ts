/**
 * Errors the policies raise or look for. Their messages are the ones daprd's Go libraries give, since
 * daprd puts them in its error messages (`failed to invoke, id: b, err: context deadline exceeded`).
 */

/** A per-attempt timeout ran out. */
export class PolicyTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super('context deadline exceeded');
    this.name = 'PolicyTimeoutError';
  }
}

/** The circuit breaker refused the call: open, or half-open with its probe requests already out. */
export class CircuitBreakerOpenError extends Error {
  constructor(readonly breaker: string, readonly state: 'open' | 'half-open') {
    super(state === 'open' ? 'circuit breaker is open' : 'too many requests');
    this.name = 'CircuitBreakerOpenError';
  }
}

/**
 * An attempt that got an answer which counts as a failure (an app's 500, a delivery the app asked to
 * retry). It carries the answer, so the caller gets the last one when the retries run out.
 */
export class FailedAnswerError<Answer = unknown> extends Error {
  constructor(readonly answer: Answer, readonly code: { readonly http?: number; readonly grpc?: number }, detail: string) {
    super(detail);
    this.name = 'FailedAnswerError';
  }
}

/**
 * An error that retrying cannot fix: the retry policy gives up on it at once. `calleeHealthy` marks a
 * refusal of the request itself (an ETag mismatch), which does not count against a circuit breaker.
 */
export class PermanentError extends Error {
  constructor(readonly error: unknown, readonly calleeHealthy = false) {
    super(error instanceof Error ? error.message : String(error));
    this.name = 'PermanentError';
  }
}

/** The error a chain's caller should see: permanent errors unwrapped. */
export function unwrapPermanent(error: unknown): unknown {
  return error instanceof PermanentError ? error.error : error;
}
