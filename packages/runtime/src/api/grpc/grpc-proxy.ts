import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream, type Http2ServerRequest, type Http2ServerResponse, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { errorMessage, type Logger } from '@outrigger/kit';
import type { LocalRegistry } from '../../nameresolution/local-registry.js';
import { callerHeaders, parseTarget } from '../../blocks/invoke/invoke-service.js';
import { failGrpcCall, GrpcCode } from './grpc-status.js';
import { h2cSessionOptions } from './h2c-session-options.js';

/** The metadata key that names the app a proxied gRPC call is for, as in daprd. */
export const proxyAppIdHeader = 'dapr-app-id';
const calleeHeader = 'dapr-callee-app-id';

/** Connection-level headers, which HTTP/2 forbids passing on; `te: trailers` is end-to-end in gRPC and stays. */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings', 'host',
  'proxy-authorization', 'proxy-authenticate', 'dapr-api-token']);

export interface GrpcProxyOptions {
  readonly appId: string;
  readonly namespace: string;
  readonly registry: LocalRegistry;
  /** The app's gRPC server (`--app-channel-address`, `--app-port`); undefined without an app port. */
  readonly app: { readonly address: string; readonly port: number } | undefined;
  /** `APP_API_TOKEN`, sent to the app as `dapr-api-token`. */
  readonly appApiToken: string | undefined;
  readonly logger: Logger;
  /** Why calls into the app are refused now (not ready, unhealthy, draining), as for HTTP invocations. */
  readonly inboundRefusal?: () => 'not-ready' | 'unhealthy' | 'draining' | undefined;
}

/**
 * gRPC proxying: a call for any service other than the Dapr API, with `dapr-app-id` metadata, goes to
 * that app's gRPC server — straight to the app for the sidecar's own id, else to the app's sidecar
 * (its internal server, over h2c), which passes it to its app. It forwards HTTP/2 as it comes: headers,
 * the body stream both ways, response headers and trailers; it never decodes a message.
 */
export class GrpcProxy {
  private readonly sessions = new Map<string, ClientHttp2Session>();
  private active = 0;

  constructor(private readonly options: GrpcProxyOptions) {}

  /** For the gRPC API's unknown-service hook: a call from the app. */
  async fromApp(req: Http2ServerRequest, res: Http2ServerResponse): Promise<void> {
    // As daprd: `dapr-callee-app-id` first, then `dapr-app-id`.
    const target = headerText(req.headers[calleeHeader]) || headerText(req.headers[proxyAppIdHeader]);
    if (target === undefined || target === '') {
      req.resume();
      failGrpcCall(res, GrpcCode.Unknown, `failed to proxy request: required metadata ${calleeHeader} or ${proxyAppIdHeader} not found`);
      return;
    }
    let appId: string;
    let namespace: string;
    try {
      ({ appId, namespace } = parseTarget(target, this.options.namespace));
    } catch {
      req.resume();
      failGrpcCall(res, GrpcCode.InvalidArgument, `failed to proxy request: invalid app id ${target}`);
      return;
    }
    const headers = forwardable(req.headers);
    headers[callerHeaders.appId] = this.options.appId;
    headers[callerHeaders.namespace] = this.options.namespace;
    headers[calleeHeader] = appId;
    if (appId === this.options.appId && namespace === this.options.namespace) {
      this.toApp(req, res, headers);
      return;
    }
    const chosen = pick(this.options.registry.lookup(appId, namespace));
    if (!chosen) {
      req.resume();
      failGrpcCall(res, GrpcCode.Unavailable, `failed to proxy request: couldn't find service: ${target}`);
      return;
    }
    this.forward(req, res, `http://${chosen.internalAddress}`, headers);
  }

  /** For the internal server: a call another sidecar proxied here, for this sidecar's app. */
  fromSidecar(req: Http2ServerRequest, res: Http2ServerResponse): void {
    this.toApp(req, res, forwardable(req.headers));
  }

  /** Calls into this sidecar's app open now; the drain waits for them. */
  get inFlight(): number {
    return this.active;
  }

  /** Closes the connections to apps and sidecars; calls still on them are cancelled. */
  close(): void {
    for (const session of this.sessions.values()) session.close();
    this.sessions.clear();
  }

  private toApp(req: Http2ServerRequest, res: Http2ServerResponse, headers: OutgoingHttpHeaders): void {
    const app = this.options.app;
    if (!app) {
      req.resume();
      failGrpcCall(res, GrpcCode.Unavailable, `failed to proxy request: app ${this.options.appId} has no app port`);
      return;
    }
    const refusal = this.options.inboundRefusal?.();
    if (refusal !== undefined) {
      req.resume();
      // UNAVAILABLE, so the caller may retry (another instance, or later).
      const reason = refusal === 'draining' ? 'the sidecar is shutting down' : refusal === 'unhealthy' ? 'app is not in a healthy state' : 'the app is not ready yet';
      failGrpcCall(res, GrpcCode.Unavailable, `failed to proxy request: ${reason}`);
      return;
    }
    if (this.options.appApiToken !== undefined) headers['dapr-api-token'] = this.options.appApiToken;
    const host = app.address.includes(':') ? `[${app.address}]` : app.address;
    this.forward(req, res, `http://${host}:${app.port}`, headers, true);
  }

  /** `intoApp`: the call counts in {@link inFlight} until its stream closes. */
  private forward(req: Http2ServerRequest, res: Http2ServerResponse, origin: string, headers: OutgoingHttpHeaders, intoApp = false): void {
    headers[':method'] = req.method;
    headers[':path'] = req.url;
    headers[':scheme'] = 'http';
    let upstream: ClientHttp2Stream;
    try {
      upstream = this.session(origin).request(headers);
    } catch (error) {
      req.resume();
      failGrpcCall(res, GrpcCode.Unavailable, `failed to proxy request: ${errorMessage(error)}`);
      return;
    }
    // The body goes between the raw streams both ways; the compat objects stay for the headers and
    // trailers (the gRPC API server's wrappers re-encode grpc-message there) and for the call's end.
    const downstream = res.stream;
    let answered = false;
    let trailersOnly = false;
    if (intoApp) this.active++;
    sendRequestBody(req, upstream);
    downstream.on('close', () => {
      if (intoApp) this.active--;
      // The caller went away (cancelled, deadline, reset): cancel the call upstream as well.
      if (!upstream.closed) upstream.close(constants.NGHTTP2_CANCEL);
    });
    upstream.on('response', (responseHeaders, flags) => {
      answered = true;
      const status = Number(responseHeaders[':status'] ?? 200);
      if ((flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0) {
        // A trailers-only answer (an error status, usually): passed on as it came, one HEADERS frame that ends the stream.
        trailersOnly = true;
        downstream.respond(forwardable(responseHeaders, { ':status': status }), { endStream: true });
        return;
      }
      res.writeHead(status, forwardable(responseHeaders));
    });
    // Sent by the compat response when the stream ends (its wantTrailers listener).
    upstream.on('trailers', (trailers) => res.addTrailers(forwardable(trailers)));
    upstream.on('data', (chunk: Buffer) => {
      if (!downstream.write(chunk)) {
        upstream.pause();
        downstream.once('drain', () => upstream.resume());
      }
    });
    upstream.on('end', () => {
      if (answered && !trailersOnly) res.end();
    });
    upstream.on('close', () => {
      if (trailersOnly || res.writableEnded || downstream.closed) return;
      if (answered) downstream.close(upstream.rstCode === constants.NGHTTP2_NO_ERROR ? constants.NGHTTP2_INTERNAL_ERROR : upstream.rstCode ?? constants.NGHTTP2_INTERNAL_ERROR);
      else failGrpcCall(res, GrpcCode.Unavailable, `failed to proxy request: the connection to ${origin} closed before an answer`);
    });
    upstream.on('error', (error: Error) => {
      this.options.logger.debug(`gRPC proxy call ${req.url} to ${origin} failed: ${errorMessage(error)}`);
      if (!answered) {
        failGrpcCall(res, GrpcCode.Unavailable, `failed to proxy request: ${errorMessage(error)}`);
      }
    });
  }

  /** One HTTP/2 connection per origin, opened on first use and replaced once it closes. */
  private session(origin: string): ClientHttp2Session {
    const open = this.sessions.get(origin);
    if (open && !open.closed && !open.destroyed) return open;
    const session = connect(origin, h2cSessionOptions(origin));
    const forget = (): void => {
      if (this.sessions.get(origin) === session) this.sessions.delete(origin);
    };
    session.on('error', (error) => {
      this.options.logger.debug(`gRPC proxy connection to ${origin} failed: ${errorMessage(error)}`);
      forget();
    });
    session.on('goaway', forget);
    session.on('close', forget);
    // Idle connections must not keep the process alive.
    session.unref();
    this.sessions.set(origin, session);
    return session;
  }
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function pick<T>(candidates: readonly T[]): T | undefined {
  return candidates[Math.floor(Math.random() * candidates.length)];
}

/** The headers to pass on, added to `kept`: no pseudo-headers, no connection-level ones, no API token. */
function forwardable(headers: IncomingHttpHeaders, kept: OutgoingHttpHeaders = {}): OutgoingHttpHeaders {
  // A keys loop: several times cheaper than Object.entries or for-in on node's null-prototype header objects.
  const keys = Object.keys(headers);
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index] as string;
    const value = headers[key];
    if (key.charCodeAt(0) === 0x3a /* ':' */ || hopByHop.has(key) || value === undefined) continue;
    kept[key] = value;
  }
  return kept;
}

/**
 * Passes the caller's request body on to `upstream`, with backpressure, and ends it with the body.
 * It reads the raw HTTP/2 stream: through the compat request every chunk would go through a Readable
 * and a pipe. Only while nothing has read the compat request yet, though (it would hold data taken
 * from the stream already): else the body goes through it.
 */
function sendRequestBody(req: Http2ServerRequest, upstream: ClientHttp2Stream): void {
  const body = req.stream;
  if (body.readableFlowing !== null || req.readableFlowing !== null || req.readableLength > 0) {
    req.pipe(upstream);
    return;
  }
  body.on('data', (chunk: Buffer) => {
    // Upstream is gone (the call is being answered or reset): stop reading, as a pipe would.
    if (upstream.destroyed) {
      body.pause();
      return;
    }
    if (!upstream.write(chunk)) {
      body.pause();
      upstream.once('drain', () => body.resume());
    }
  });
  body.once('end', () => {
    upstream.end();
    // The compat request has been given its end by its own stream listener; let it emit it, as it did
    // when piped: the gRPC API server asks `req.readableEnded` whether the caller has finished sending.
    req.resume();
  });
}
