import { errorMessage, type Logger } from '@outrigger/kit';
import type { BindingEvent, BindingReader, InputBinding } from '@outrigger/components-api';
import type { AppChannel, InputBindingTarget } from '../../app-channel/app-channel.js';
import type { ComponentHost, LoadedComponent } from '../../components/component-host.js';
import type { Resiliency } from '../../resiliency/resiliency.js';
import { inputBindings, inputRoute } from './binding-components.js';

export interface InputBindingRunnerOptions {
  readonly components: ComponentHost;
  readonly appChannel: AppChannel | undefined;
  readonly logger: Logger;
  /** How long the app may take to answer `OPTIONS /{name}` (daprd's default: 3 s). */
  readonly probeTimeoutMs: number;
  /** How long `stop` waits for deliveries in flight. */
  readonly drainTimeoutMs: number;
  /** The binding components' inbound policies around each delivery; without it, one attempt. */
  readonly resiliency?: Resiliency;
}

/**
 * Runs the input bindings the app subscribes to: asks the app (HTTP: `OPTIONS /{route}`, 2xx or 405
 * is wanted; gRPC: `ListInputBindings`), unless the component's `direction` names `input`; then hands
 * each event to the app (HTTP: `POST /{route}` with the raw bytes and the metadata as headers; gRPC:
 * `OnBindingEvent`). The component's inbound Resiliency policies run around each delivery; a refusal
 * or an unreachable app that they do not overcome rejects the component's handler, which decides what
 * comes next, as in daprd.
 */
export class InputBindingRunner {
  private readonly readers: { name: string; reader: BindingReader }[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  /** Aborts waits between delivery retries on stop. */
  private readonly stopping = new AbortController();

  constructor(private readonly options: InputBindingRunnerOptions) {}

  /** Names of the bindings delivering to the app. */
  get active(): string[] {
    return this.readers.map((entry) => entry.name);
  }

  async start(): Promise<void> {
    const bindings = inputBindings(this.options.components);
    if (bindings.length === 0) return;
    const channel = this.options.appChannel;
    if (!channel) {
      this.options.logger.warn(`input bindings ${bindings.map((entry) => entry.component.name).join(', ')} are not read: the sidecar has no app (no --app-port)`);
      return;
    }
    await Promise.all(bindings.map((entry) => this.startOne(channel, entry.component, entry.binding, entry.directions.explicitInput)));
  }

  /** Stops every reader (no new deliveries), then waits for deliveries in flight, at most `drainTimeoutMs`. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    const readers = this.readers.splice(0);
    await Promise.all(readers.map(({ name, reader }) => reader.close().catch((error: unknown) => {
      this.options.logger.warn(`stopping input binding ${name} failed: ${errorMessage(error)}`);
    })));
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.drainTimeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.inFlight]), timeout]);
    clearTimeout(timer);
  }

  private async startOne(channel: AppChannel, component: LoadedComponent, binding: InputBinding, explicitInput: boolean): Promise<void> {
    const { logger } = this.options;
    const route = inputRoute(component);
    if (!explicitInput) {
      let wanted: boolean;
      try {
        wanted = await this.probe(channel, { name: component.name, route });
      } catch (error) {
        logger.error(`input binding ${component.name}: could not invoke OPTIONS method on input binding subscription endpoint "${route}": ${errorMessage(error)}`);
        return;
      }
      if (!wanted) {
        logger.info(`app has not subscribed to binding ${component.name}.`);
        return;
      }
    }
    if (this.stopped) return;
    try {
      const reader = await binding.read((event) => this.deliver(channel, { name: component.name, route }, event));
      // The sidecar may have started stopping while the reader was being set up.
      if (this.stopped) await reader.close();
      else this.readers.push({ name: component.name, reader });
      logger.info(`input binding ${component.name} delivers to the app at ${channel.protocol === 'grpc' ? 'OnBindingEvent' : `POST ${route}`}`);
    } catch (error) {
      logger.error(`error reading from input binding ${component.name}: ${errorMessage(error)}`);
    }
  }

  private async probe(channel: AppChannel, target: InputBindingTarget): Promise<boolean> {
    const signal = AbortSignal.timeout(this.options.probeTimeoutMs);
    try {
      return await channel.isSubscribedToBinding(target, signal);
    } catch (error) {
      throw signal.aborted ? new Error(`no answer within ${this.options.probeTimeoutMs} ms`) : error;
    }
  }

  private deliver(channel: AppChannel, target: InputBindingTarget, event: BindingEvent): Promise<void> {
    if (this.stopped) return Promise.reject(new Error(`input binding ${target.name} is closed`));
    const policies = this.options.resiliency?.forComponentInbound(target.name, 'bindings');
    const delivery = policies
      ? policies.run(() => channel.deliverBindingEvent(target, event), { signal: this.stopping.signal })
      : channel.deliverBindingEvent(target, event);
    this.inFlight.add(delivery);
    void delivery.catch(() => undefined).finally(() => this.inFlight.delete(delivery));
    return delivery;
  }
}
