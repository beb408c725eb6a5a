import { delay, errorMessage, type Logger } from '@outrigger/kit';

/** What the drain needs from the sidecar. */
export interface DrainHooks {
  /** Stops taking inbound work: subscriptions stop fetching, input bindings stop, invocations are refused. */
  stopInbound(): Promise<void>;
  /** Deliveries and invocations into the app not answered yet. */
  inFlight(): number;
  /** The app's own word (`--app-busy-path`); absent when the app has no busy endpoint. */
  busy?(signal: AbortSignal): Promise<boolean>;
}

export interface DrainProgress {
  readonly step: 'stopping-inbound' | 'waiting' | 'drained' | 'timed-out';
  readonly inFlight: number;
  readonly busy: boolean | undefined;
  readonly elapsedMs: number;
  readonly graceMs: number;
}

export interface DrainOptions {
  readonly graceMs: number;
  readonly pollMs?: number;
  readonly logger: Logger;
  readonly onProgress?: (progress: DrainProgress) => void;
}

/**
 * Drains the app's inbound work: stop taking new work, then wait until nothing is in flight and the
 * app (if it has a busy endpoint) says it is not busy, bounded by the grace period.
 * @returns whether everything finished in time.
 */
export async function drainInbound(hooks: DrainHooks, options: DrainOptions): Promise<'drained' | 'timed-out'> {
  const started = Date.now();
  const deadline = started + options.graceMs;
  const report = (step: DrainProgress['step'], inFlight: number, busy: boolean | undefined) =>
    options.onProgress?.({ step, inFlight, busy, elapsedMs: Date.now() - started, graceMs: options.graceMs });
  report('stopping-inbound', hooks.inFlight(), undefined);
  const stopped = hooks.stopInbound().catch((error: unknown) => options.logger.warn(`stopping inbound work failed: ${errorMessage(error)}`));
  const inTime = await Promise.race([stopped.then(() => true), delay(Math.max(0, deadline - Date.now())).then(() => false)]);
  if (!inTime) {
    report('timed-out', hooks.inFlight(), undefined);
    return 'timed-out';
  }
  for (;;) {
    const inFlight = hooks.inFlight();
    if (inFlight === 0 && !hooks.busy) {
      report('drained', 0, undefined);
      return 'drained';
    }
    const remaining = deadline - Date.now();
    let busy: boolean | undefined;
    if (remaining > 0 && inFlight === 0 && hooks.busy) {
      busy = await hooks.busy(AbortSignal.timeout(Math.min(1_000, remaining)));
      if (!busy) {
        report('drained', 0, busy);
        return 'drained';
      }
    }
    if (Date.now() >= deadline) {
      options.logger.warn(`grace period of ${options.graceMs} ms over with ${inFlight} calls in flight${busy ? ' and the app busy' : ''}`);
      report('timed-out', inFlight, busy);
      return 'timed-out';
    }
    report('waiting', inFlight, busy);
    await delay(Math.min(options.pollMs ?? 100, Math.max(1, deadline - Date.now())));
  }
}
