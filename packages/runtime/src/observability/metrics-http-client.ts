import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { framedCallChannel, type FramedCallMessage } from '../internal/framed/framed-client.js';
import type { SidecarOptions } from '../options/sidecar-options.js';
import type { HttpExchange } from './sidecar-metrics.js';
import { pathOf } from '@outrigger/kit';

/** The parts of undici's request object the diagnostics channels hand out that are read here. */
interface UndiciRequest {
  readonly origin: string | URL;
  readonly method: string;
  readonly path: string;
  readonly headers: readonly string[] | string;
}

export interface HttpClientWatchOptions {
  /** The app's origin (`http://127.0.0.1:3000`); undefined when the sidecar has no HTTP app. */
  readonly appOrigin: string | undefined;
  /** This sidecar's app id: calls to other sidecars carry it as `dapr-caller-app-id`. */
  readonly appId: string;
  /** App paths the sidecar probes itself (health, ready, busy); daprd keeps probes out of client metrics. */
  readonly probePaths: readonly string[];
  readonly record: (exchange: HttpExchange) => void;
}

interface InFlight {
  readonly method: string;
  readonly path: string;
  readonly started: number;
  status: number;
  sent: number;
  received: number;
}

/**
 * Measures the HTTP calls the sidecar makes to its app and to other sidecars (`dapr_http_client_*`).
 * It listens on undici's diagnostics channels rather than wrapping each caller's agent: every call
 * site (invocation, deliveries, bindings, configuration updates, the sidecar hop) is covered at once.
 * Calls are told apart by where they go: the app's origin, or another sidecar, recognised by the
 * `dapr-caller-app-id` header this sidecar adds to every hop.
 */
export class HttpClientWatch {
  private readonly calls = new WeakMap<object, InFlight>();
  private readonly handlers: Record<string, (message: unknown) => void>;
  /** The app's origin as undici may give it, with and without a trailing slash (a URL's text has one). */
  private readonly appOrigins: ReadonlySet<string>;

  constructor(private readonly options: HttpClientWatchOptions) {
    this.appOrigins = new Set(options.appOrigin === undefined ? [] : [options.appOrigin, `${options.appOrigin}/`]);
    this.handlers = {
      'undici:request:create': (message) => this.created(message as { request: UndiciRequest }),
      'undici:request:bodyChunkSent': (message) => {
        const { request, chunk } = message as { request: object; chunk: { length: number } };
        const call = this.calls.get(request);
        if (call) call.sent += chunk.length;
      },
      'undici:request:headers': (message) => {
        const { request, response } = message as { request: object; response: { statusCode: number } };
        const call = this.calls.get(request);
        if (call) call.status = response.statusCode;
      },
      'undici:request:bodyChunkReceived': (message) => {
        const { request, chunk } = message as { request: object; chunk: { length: number } };
        const call = this.calls.get(request);
        if (call) call.received += chunk.length;
      },
      'undici:request:trailers': (message) => this.finished((message as { request: object }).request),
      // A call that failed before an answer has no status to label; one cut off mid-body keeps its status.
      'undici:request:error': (message) => this.finished((message as { request: object }).request),
    };
  }

  start(): void {
    for (const [name, handler] of Object.entries(this.handlers)) subscribe(name, handler);
    framedCallChannel.subscribe(this.framedCall);
  }

  stop(): void {
    for (const [name, handler] of Object.entries(this.handlers)) unsubscribe(name, handler);
    framedCallChannel.unsubscribe(this.framedCall);
  }

  /** A call to another sidecar over the framed protocol (internal/framed/), which undici does not see. */
  private readonly framedCall = (message: unknown): void => {
    const call = message as FramedCallMessage;
    this.options.record({
      method: call.verb, path: pathOf(call.pathAndQuery), status: call.status, elapsedMs: call.elapsedMs,
      requestBytes: call.requestBytes, responseBytes: call.responseBytes,
    });
  };

  private created({ request }: { request: UndiciRequest }): void {
    const path = pathOf(request.path);
    const toApp = this.appOrigins.has(String(request.origin));
    if (toApp ? this.options.probePaths.includes(path) : !this.isHop(request)) return;
    this.calls.set(request, { method: request.method, path, started: performance.now(), status: 0, sent: 0, received: 0 });
  }

  private isHop(request: UndiciRequest): boolean {
    const headers = request.headers;
    if (typeof headers === 'string') return headers.toLowerCase().includes(`dapr-caller-app-id: ${this.options.appId.toLowerCase()}\r\n`);
    for (let index = 0; index + 1 < headers.length; index += 2) {
      if (String(headers[index]).toLowerCase() === 'dapr-caller-app-id') return headers[index + 1] === this.options.appId;
    }
    return false;
  }

  private finished(request: object): void {
    const call = this.calls.get(request);
    if (!call) return;
    this.calls.delete(request);
    if (call.status === 0) return;
    this.options.record({
      method: call.method, path: call.path, status: call.status, elapsedMs: performance.now() - call.started,
      requestBytes: call.sent, responseBytes: call.received,
    });
  }
}

/** Where this sidecar's HTTP calls go, from its options: the app's origin (HTTP apps only) and the paths it probes. */
export function httpClientTargets(options: SidecarOptions): Omit<HttpClientWatchOptions, 'record'> {
  const host = options.appChannelAddress.includes(':') ? `[${options.appChannelAddress}]` : options.appChannelAddress;
  return {
    appOrigin: options.appProtocol === 'http' && options.appPort !== undefined ? `http://${host}:${options.appPort}` : undefined,
    appId: options.appId,
    probePaths: [options.appHealth?.path, options.appReadyPath, options.appBusyPath].filter((path): path is string => path !== undefined),
  };
}
