import { delay, errorMessage, type Logger } from '@outrigger/kit';
import type { AppChannel } from '../app-channel/app-channel.js';
import type { SidecarOptions } from '../options/sidecar-options.js';
import { AppHealthMonitor } from './app-health-monitor.js';
import { probeBusy, probeHttpPath, type AppAddress } from './app-probes.js';
import { drainInbound, type DrainProgress } from './drain.js';
import type { Readiness } from './readiness.js';
import { waitForPort } from './wait-for-port.js';

/** What the app lifecycle drives in the sidecar. */
export interface InboundControl {
  /** Starts subscriptions, input bindings and the like. */
  startInbound(): Promise<void>;
  /** Stops them; messages not yet delivered go back to their brokers. */
  stopInbound(): Promise<void>;
  /** Calls into the app not answered yet. */
  inFlight(): number;
  /** How the app is reached (gRPC apps are also asked `HealthCheck`); without it, a TCP connect and HTTP GET probes. */
  readonly appChannel?: Pick<AppChannel, 'waitUntilReachable' | 'healthProbe'> | undefined;
}

/** Why invocations into the app are refused right now, or undefined when they are accepted. */
export type InboundRefusal = 'not-ready' | 'unhealthy' | 'draining' | undefined;

/**
 * The app side of the sidecar's life: wait until the app is reachable, healthy (with app health
 * checks) and ready (`--app-ready-path`) before any inbound work starts; pause inbound work while the
 * app is unhealthy; on shutdown, optionally keep serving (`--dapr-block-shutdown-duration`), then drain.
 */
export class AppLifecycle {
  private monitor: AppHealthMonitor | undefined;
  private inboundOn = false;
  // Nothing inbound reaches the app before it is ready.
  private refusal: InboundRefusal = 'not-ready';
  private transitions: Promise<void> = Promise.resolve();
  private draining: Promise<'drained' | 'timed-out'> | undefined;
  private progress: DrainProgress | undefined;
  private readonly stopping = new AbortController();

  constructor(
    private readonly options: SidecarOptions,
    private readonly readiness: Readiness,
    private readonly inbound: InboundControl,
    private readonly logger: Logger,
  ) {}

  /** Why invocations into the app are refused now (unhealthy app or drain), if they are. */
  get inboundRefusal(): InboundRefusal {
    return this.refusal;
  }

  get drainProgress(): DrainProgress | undefined {
    return this.progress;
  }

  private get address(): AppAddress | undefined {
    const { appPort, appChannelAddress, appApiToken } = this.options;
    return appPort === undefined ? undefined : { host: appChannelAddress, port: appPort, appApiToken };
  }

  /** Runs the app phases: reachable (and healthy), ready, then inbound on. Returns early if stopped meanwhile. */
  async waitForApp(): Promise<void> {
    const address = this.address;
    try {
      if (address) {
        this.logger.info(`waiting for the app on ${address.host}:${address.port}`);
        const channel = this.inbound.appChannel;
        await (channel ? channel.waitUntilReachable(this.stopping.signal) : waitForPort(address.host, address.port, this.stopping.signal));
        const health = this.options.appHealth;
        if (health) {
          this.monitor = new AppHealthMonitor({
            probe: (signal) => channel?.healthProbe?.(signal) ?? probeHttpPath(address, health.path, signal),
            intervalMs: health.intervalMs, timeoutMs: health.timeoutMs, threshold: health.threshold, logger: this.logger,
            onChange: (healthy) => this.onHealthChange(healthy),
          });
          this.monitor.start();
          await this.monitor.whenHealthy();
        }
        if (this.options.appReadyPath) await this.waitUntilReady(address, this.options.appReadyPath);
        this.readiness.advance('app-ready');
      }
    } catch (error) {
      if (!this.stopping.signal.aborted) this.logger.error(`waiting for the app failed: ${errorMessage(error)}`);
      return;
    }
    if (this.stopping.signal.aborted) return;
    if (this.refusal === 'not-ready') this.refusal = undefined;
    await this.setInbound(true);
    this.readiness.advance('ready');
  }

  /** `--dapr-block-shutdown-duration`: keep serving until it passes or the app turns unhealthy. */
  async blockShutdown(): Promise<void> {
    const ms = this.options.blockShutdownMs;
    // After a pre-stop drain there is nothing left to keep serving for.
    if (ms <= 0 || this.draining) return;
    this.logger.info(`shutdown blocked for up to ${ms} ms while the app is healthy`);
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && (!this.monitor || this.monitor.healthy)) await delay(Math.min(100, deadline - Date.now()));
  }

  /**
   * Stops taking inbound work and waits for work in flight (and a busy app) within the grace period.
   * Safe to call twice (pre-stop hook, then SIGTERM): the second call waits for the first.
   */
  drain(): Promise<'drained' | 'timed-out'> {
    this.draining ??= this.runDrain();
    return this.draining;
  }

  /** Ends probes and waits; called when the sidecar stops. */
  stop(): void {
    this.stopping.abort();
    this.monitor?.stop();
  }

  private async runDrain(): Promise<'drained' | 'timed-out'> {
    this.refusal = 'draining';
    this.readiness.advance('draining');
    const address = this.address;
    const busyPath = this.options.appBusyPath;
    const result = await drainInbound({
      stopInbound: () => this.setInbound(false),
      inFlight: () => this.inbound.inFlight(),
      ...(address && busyPath ? { busy: (signal: AbortSignal) => probeBusy(address, busyPath, signal) } : {}),
    }, {
      graceMs: this.options.gracefulShutdownMs, logger: this.logger,
      onProgress: (progress) => {
        this.progress = progress;
        if (progress.step !== 'waiting') this.logger.info(`drain: ${progress.step} (${progress.inFlight} in flight, ${progress.elapsedMs} ms)`);
      },
    });
    return result;
  }

  private async waitUntilReady(address: AppAddress, path: string): Promise<void> {
    this.logger.info(`waiting for the app's ready path ${path}`);
    for (;;) {
      if (this.stopping.signal.aborted) throw new Error('stopped');
      const ready = await probeHttpPath(address, path, AbortSignal.timeout(this.options.appHealth?.timeoutMs ?? 1_000)).catch(() => false);
      if (ready) return;
      await delay(100, this.stopping.signal).catch(() => undefined);
    }
  }

  private onHealthChange(healthy: boolean): void {
    if (this.refusal === 'draining' || !this.readiness.ready && !this.inboundOn) return;
    this.refusal = healthy ? undefined : 'unhealthy';
    void this.setInbound(healthy);
  }

  /** Turns inbound work on or off, one change at a time. */
  private setInbound(on: boolean): Promise<void> {
    this.transitions = this.transitions.then(async () => {
      if (this.inboundOn === on) return;
      this.inboundOn = on;
      if (on) await this.inbound.startInbound();
      else await this.inbound.stopInbound();
    });
    return this.transitions;
  }
}
