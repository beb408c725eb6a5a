import type { Agent, Dispatcher } from 'undici';
import { loadUndiciAgent } from './undici-core.js';

/**
 * An undici Agent made on its first request. Importing undici takes about a tenth of a second, and the
 * sidecar's first HTTP calls (into the app, to other sidecars) come after it reports outbound-ready:
 * importing it then takes that time out of start-up, and a sidecar that never calls out never loads it.
 * Once made, requests go straight to the agent (no extra await on the hot path).
 */
export class LazyAgent {
  private agent: Agent | undefined;
  private loading: Promise<Agent> | undefined;

  constructor(private readonly options: Agent.Options) {}

  request(options: Dispatcher.RequestOptions<null>): Promise<Dispatcher.ResponseData<null>> {
    return this.agent ? this.agent.request(options) : this.load().then((agent) => agent.request(options));
  }

  /** undici's dispatch; an agent still loading takes it once loaded, and a failed load goes to the handler's error. */
  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): void {
    if (this.agent) {
      this.agent.dispatch(options, handler);
      return;
    }
    this.load().then((agent) => agent.dispatch(options, handler), (error: Error) => handler.onResponseError?.(undefined as never, error));
  }

  /** Closes the agent once its requests finish; nothing to do when none was made. */
  async close(): Promise<void> {
    if (this.loading) await (await this.loading).close();
  }

  /** Ends the agent's connections now, requests in flight included. */
  async destroy(): Promise<void> {
    if (this.loading) await (await this.loading).destroy();
  }

  private load(): Promise<Agent> {
    this.loading ??= loadUndiciAgent().then((AgentClass) => (this.agent = new AgentClass(this.options)));
    return this.loading;
  }
}

/** The agent of the sidecar's app probes (health, readiness, busy): made on the first probe, with undici's defaults. */
const probeAgent = new LazyAgent({});

/** One GET of an app probe. */
export function probeRequest(url: URL, options: { headers: Record<string, string>; signal: AbortSignal | undefined }): Promise<Dispatcher.ResponseData<null>> {
  return probeAgent.request({ origin: url.origin, path: `${url.pathname}${url.search}`, method: 'GET', headers: options.headers, signal: options.signal ?? null });
}
