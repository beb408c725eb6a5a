/**
 * Resolves after `ms` milliseconds; for back-off between retries, never for waiting on a condition in tests.
 * Rejects with the signal's reason when it aborts first. The abort listener is removed when the time is up,
 * so waits on a long-lived signal (a subscription's stop) do not pile listeners onto it.
 */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  const reasonOf = (aborted: AbortSignal): Error => (aborted.reason instanceof Error ? aborted.reason : new Error('aborted'));
  if (signal?.aborted) return Promise.reject(reasonOf(signal));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(reasonOf(signal as AbortSignal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Polls `check` until it returns a truthy value or `timeoutMs` passes.
 * @throws Error naming `what` when the time runs out.
 */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`);
    }
    await delay(intervalMs);
  }
}
