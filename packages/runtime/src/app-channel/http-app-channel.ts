import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, type Dispatcher } from 'undici';
import { ConcurrencyGate } from './concurrency-gate.js';
import { forwardHttp } from './http-forwarder.js';
import { forwardableHeaders } from './proxy-headers.js';

export interface HttpAppChannelOptions {
  readonly address: string;
  readonly port: number;
  readonly maxConcurrency: number;
  /** `APP_API_TOKEN`: sent to the app as `dapr-api-token` on every call. */
  readonly appApiToken: string | undefined;
  readonly maxBodyBytes: number;
}

/** An answer from the app, read whole. */
export interface AppResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** Identity of the caller, added to every call into the app. */
export interface CallerIdentity {
  readonly callerAppId: string;
  readonly calleeAppId: string;
  readonly callerNamespace: string;
}

/** Calls into the app over HTTP with pooled keep-alive connections, counting calls in flight. */
export class HttpAppChannel {
  readonly origin: string;
  private readonly agent = new Agent({ keepAliveTimeout: 30_000, connections: 128 });
  private readonly gate: ConcurrencyGate;

  constructor(private readonly options: HttpAppChannelOptions) {
    const host = options.address.includes(':') ? `[${options.address}]` : options.address;
    this.origin = `http://${host}:${options.port}`;
    this.gate = new ConcurrencyGate(options.maxConcurrency);
  }

  get inFlight(): number {
    return this.gate.inFlight;
  }

  /** Proxies an invocation to the app: `pathAndQuery` is the method path with its query string. */
  async forward(req: IncomingMessage, res: ServerResponse, pathAndQuery: string, identity: CallerIdentity, dropHeaders: readonly string[]): Promise<void> {
    const headers = forwardableHeaders(req.headers, dropHeaders);
    headers['dapr-caller-app-id'] = identity.callerAppId;
    headers['dapr-callee-app-id'] = identity.calleeAppId;
    if (identity.callerNamespace !== '') headers['dapr-caller-namespace'] = identity.callerNamespace;
    if (this.options.appApiToken) headers['dapr-api-token'] = this.options.appApiToken;
    await this.gate.run(() => forwardHttp(this.agent, {
      origin: this.origin, path: pathAndQuery, method: req.method ?? 'GET', headers, body: req, maxBodyBytes: this.options.maxBodyBytes,
    }, res));
  }

  /**
   * Makes one call into the app and reads the whole answer; for deliveries the sidecar starts itself
   * (events, bindings, configuration updates). Counted in `inFlight` like proxied calls. `signal`
   * abandons the call (a probe with a deadline), so a hung app cannot hold the pool open at shutdown.
   */
  async call(method: string, path: string, headers: Record<string, string>, body?: Uint8Array | string, signal?: AbortSignal): Promise<AppResponse> {
    const allHeaders: Record<string, string> = { ...headers };
    if (this.options.appApiToken) allHeaders['dapr-api-token'] = this.options.appApiToken;
    return this.gate.run(async () => {
      const response = await this.agent.request({
        origin: this.origin, path, method: method as Dispatcher.HttpMethod, headers: allHeaders, body: body ?? null, ...(signal ? { signal } : {}),
      });
      const bytes = Buffer.from(await response.body.arrayBuffer());
      return { status: response.statusCode, headers: response.headers as Record<string, string | string[] | undefined>, body: bytes };
    });
  }

  /**
   * Ends every connection. The sidecar calls it after waiting for calls in flight (bounded by the grace
   * period), so a call still open belongs to a hung app: it is abandoned rather than waited for forever.
   */
  async close(): Promise<void> {
    await this.agent.destroy();
  }
}
