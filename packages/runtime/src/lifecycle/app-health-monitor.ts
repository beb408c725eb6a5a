import type { Logger } from '@outrigger/kit';

/** One health probe: resolves true when the app answered healthy within the probe timeout. */
export type HealthProbe = (signal: AbortSignal) => Promise<boolean>;

export interface AppHealthMonitorOptions {
  readonly probe: HealthProbe;
  /** Time between probes (daprd's `--app-health-probe-interval`, default 5 s). */
  readonly intervalMs: number;
  /** Time one probe may take (daprd's `--app-health-probe-timeout`, default 500 ms). */
  readonly timeoutMs: number;
  /** Failed probes in a row that make the app unhealthy (daprd's `--app-health-threshold`, default 3). */
  readonly threshold: number;
  readonly logger: Logger;
  /** Called on every change: first healthy answer, turning unhealthy, recovering. */
  readonly onChange: (healthy: boolean) => void;
}

/**
 * Probes the app on a timer as daprd's app health checks do: the app starts unhealthy, turns healthy
 * on the first good probe, and turns unhealthy after `threshold` failures in a row.
 */
export class AppHealthMonitor {
  private state: boolean | undefined;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly stopping = new AbortController();

  constructor(private readonly options: AppHealthMonitorOptions) {}

  /** Undefined until the first probe answers; then the last reported state. */
  get healthy(): boolean {
    return this.state === true;
  }

  start(): void {
    void this.tick();
  }

  stop(): void {
    this.stopping.abort();
    clearTimeout(this.timer);
  }

  /** Resolves once the app is healthy, or rejects when the monitor stops first. */
  whenHealthy(): Promise<void> {
    if (this.state === true) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = setInterval(() => {
        if (this.state === true) {
          clearInterval(check);
          resolve();
        } else if (this.stopping.signal.aborted) {
          clearInterval(check);
          reject(new Error('stopped waiting for the app to become healthy'));
        }
      }, 20);
    });
  }

  private async tick(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const signal = AbortSignal.any([timeout, this.stopping.signal]);
    let ok = false;
    try {
      ok = await this.options.probe(signal);
    } catch {
      ok = false;
    }
    if (this.stopping.signal.aborted) return;
    this.record(ok);
    this.timer = setTimeout(() => void this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  private record(ok: boolean): void {
    if (ok) {
      this.failures = 0;
      if (this.state !== true) this.change(true);
      return;
    }
    this.failures++;
    if (this.state === true && this.failures >= this.options.threshold) this.change(false);
  }

  private change(healthy: boolean): void {
    this.state = healthy;
    this.options.logger.info(healthy ? 'the app is healthy' : `the app is unhealthy after ${this.failures} failed probes`);
    this.options.onChange(healthy);
  }
}
