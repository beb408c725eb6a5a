import { setMaxListeners } from 'node:events';
import type { Socket } from 'node:net';
import { constants, createServer, type Http2Server, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { errorMessage, isDaprError, type Logger } from '@outrigger/kit';
import { GrpcCode, respecGrpcMessage, writeGrpcStatus } from './grpc-status.js';

/**
 * Handles a gRPC call for a service the server does not serve itself. The API token has been checked
 * and removed from the headers already; the request body is unread. gRPC proxying plugs in here.
 */
export type UnknownServiceHandler = (req: Http2ServerRequest, res: Http2ServerResponse) => void | Promise<void>;

/** Serves a call of the Dapr service: Connect's node adapter (dapr-grpc-handler.ts). */
export type GrpcCallHandler = (req: Http2ServerRequest, res: Http2ServerResponse) => void;

/** What the Dapr service's handler is built with: the server's shutdown signal and its route for other services. */
export interface GrpcHandlerHooks {
  /** Aborted on close: ends long-lived streams (subscriptions), which would otherwise hold the drain. */
  readonly shutdownSignal: AbortSignal;
  /** For calls the handler does not route; they go to `unknownService`. */
  readonly fallback: GrpcCallHandler;
}

export interface GrpcApiServerOptions {
  /**
   * Builds the handler of the Dapr service; called once, when first needed (see GrpcApiServer).
   * Calls that arrive while it loads wait for that one load.
   */
  readonly loadHandler: (hooks: GrpcHandlerHooks) => Promise<GrpcCallHandler>;
  /** Calls for any other service; without it they answer UNIMPLEMENTED as a Go gRPC server does. */
  readonly unknownService?: UnknownServiceHandler | undefined;
  readonly apiToken: string | undefined;
  readonly logger: Logger;
  /** Starts the call's trace span (when tracing is on), before Connect reads the call's metadata. */
  readonly traceCall?: ((req: Http2ServerRequest, res: Http2ServerResponse) => void) | undefined;
}

/** The metadata key that carries the API token, as in daprd. */
export const apiTokenHeader = 'dapr-api-token';

/** The path prefix of the Dapr service's methods; every other path is another service's (proxying). */
const daprServicePrefix = '/dapr.proto.runtime.v1.Dapr/';

/**
 * The Dapr gRPC API server: one cleartext HTTP/2 (h2c) server per listen address. Connect's node adapter
 * speaks the gRPC protocol to grpc-js clients (`application/grpc`) and to Connect's gRPC transport
 * (`application/grpc+proto`) alike; calls for services it does not route go to `unknownService`.
 * The API token is checked for every call, routed or not.
 *
 * Why the handler loads late: Connect, @bufbuild/protobuf and Dapr's descriptors are the largest part
 * of the runtime's module graph (15–25 MB of RSS, and most of the 0.6 s that deferring them saved at
 * start-up on a busy 2-core machine), and a sidecar whose app only speaks HTTP never needs them. So
 * the server binds its ports with node:http2 alone and starts importing the handler when the first
 * client connects (a gRPC client usually connects before its first call), or when the sidecar's app
 * speaks gRPC (sidecar.ts); calls that arrive meanwhile wait for that one load, their bodies buffered
 * by their streams. The cost moves to the first call when it comes with its connection (measured:
 * 0.4–0.7 s instead of 40–56 ms on that busy machine; later calls as before). Loading in the background
 * right after ready was the alternative: no call would wait, but every sidecar would pay the memory
 * and the CPU just as its app starts. Calls for other services (proxying) never wait: they do not go
 * through Connect.
 */
export class GrpcApiServer {
  private readonly servers: Http2Server[] = [];
  private readonly sessions = new Set<ServerHttp2Session>();
  /** Aborted on close: ends long-lived streams (subscriptions), which would otherwise hold the drain. */
  private readonly shutdown = new AbortController();
  private handler: GrpcCallHandler | undefined;
  private loading: Promise<GrpcCallHandler> | undefined;
  private active = 0;

  constructor(private readonly options: GrpcApiServerOptions) {
    // Connect links every call's signal to this one: one listener per call in flight, many at a time.
    setMaxListeners(0, this.shutdown.signal);
  }

  /** Calls and streams open now; shutdown waits for them. */
  get inFlight(): number {
    return this.active;
  }

  /** Listens on each address (all interfaces when none) and resolves with the bound port. */
  async listen(port: number, addresses: readonly string[]): Promise<number> {
    const hosts = addresses.length > 0 ? addresses : [undefined];
    let boundPort = port;
    for (const host of hosts) {
      const server = createServer({}, (req, res) => this.handle(req, res));
      // node:http2 leaves Nagle's algorithm on (node:http turns it off): a small answer written in two
      // pieces (headers, then data and trailers) then waits for the client's delayed ACK, ~40 ms per call.
      server.on('connection', (socket: Socket) => socket.setNoDelay(true));
      server.on('session', (session) => {
        // A client is here: its calls will need the handler (see the class comment).
        this.preload();
        this.sessions.add(session);
        session.once('close', () => this.sessions.delete(session));
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: boundPort, host }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      boundPort = (server.address() as AddressInfo).port;
      this.servers.push(server);
    }
    return boundPort;
  }

  /**
   * Stops accepting connections and ends streaming subscriptions; unary calls in flight finish
   * (each connection gets a GOAWAY and closes once its streams are done).
   */
  async close(): Promise<void> {
    this.shutdown.abort();
    const closing = this.servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    for (const session of this.sessions) session.close();
    await Promise.all(closing);
  }

  /** Ends every connection now, for a forced stop or when the grace period is over. */
  closeAllConnections(): void {
    for (const session of this.sessions) session.destroy();
  }

  private handle(req: Http2ServerRequest, res: Http2ServerResponse): void {
    this.active++;
    res.once('close', () => this.active--);
    // The compat response's own listener sends the trailers first; then the call is over.
    res.stream.once('wantTrailers', () => endCall(req, res));
    const token = this.options.apiToken;
    if (token !== undefined) {
      const sent = req.headers[apiTokenHeader];
      if (sent !== token) {
        void this.refuse(req, res, sent === undefined ? 'apiTokenMissing' : 'apiTokenInvalid');
        return;
      }
    }
    // The token stops here: it is never passed on to an app or another service.
    delete req.headers[apiTokenHeader];
    this.options.traceCall?.(req, res);
    specEncodeGrpcMessage(res);
    if (!req.url.startsWith(daprServicePrefix)) {
      void this.unknown(req, res);
      return;
    }
    const handler = this.handler;
    if (handler) handler(req, res);
    else void this.handleOnceLoaded(req, res);
  }

  /** Starts loading the Dapr service's handler now, if it has not started (a failure is logged by the calls that wait for it). */
  preload(): void {
    this.load().catch(() => undefined);
  }

  private load(): Promise<GrpcCallHandler> {
    this.loading ??= this.options.loadHandler({
      shutdownSignal: this.shutdown.signal,
      fallback: (fallbackReq, fallbackRes) => void this.unknown(fallbackReq, fallbackRes),
    }).then((handler) => (this.handler = handler));
    return this.loading;
  }

  private async handleOnceLoaded(req: Http2ServerRequest, res: Http2ServerResponse): Promise<void> {
    let handler: GrpcCallHandler;
    try {
      handler = await this.load();
    } catch (error) {
      this.options.logger.error({ err: error }, `the gRPC API cannot serve ${req.url}: loading its handler failed: ${errorMessage(error)}`);
      req.resume();
      writeGrpcStatus(res, GrpcCode.Internal, 'the gRPC API failed to load');
      endCall(req, res);
      return;
    }
    if (res.stream.closed || res.stream.destroyed) return;
    handler(req, res);
  }

  /** Refuses a call for its API token with daprd's error; the error details need protobuf, so it loads here. */
  private async refuse(req: Http2ServerRequest, res: Http2ServerResponse, kind: 'apiTokenMissing' | 'apiTokenInvalid'): Promise<void> {
    const { unauthenticated, writeGrpcError } = await import('./grpc-errors.js');
    if (res.stream.closed || res.stream.destroyed) return;
    writeGrpcError(res, unauthenticated(kind));
    endCall(req, res);
  }

  private async unknown(req: Http2ServerRequest, res: Http2ServerResponse): Promise<void> {
    const handler = this.options.unknownService;
    if (!handler) {
      req.resume();
      const service = req.url.split('/')[1] ?? '';
      writeGrpcStatus(res, GrpcCode.Unimplemented, `unknown service ${service}`);
      endCall(req, res);
      return;
    }
    try {
      await handler(req, res);
    } catch (error) {
      // Rare (the proxy answers its own failures): the catalogue's status and details need grpc-errors.
      const { toConnectError, writeGrpcError } = await import('./grpc-errors.js');
      const failure = toConnectError(error);
      // Neither a Dapr nor a Connect error (toConnectError returns those as they are, or converts a DaprError).
      if (failure !== error && !isDaprError(error)) this.options.logger.error({ err: error, method: req.url }, `unexpected error in gRPC ${req.url}: ${failure.rawMessage}`);
      if (res.headersSent) res.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
      else writeGrpcError(res, failure);
    }
  }
}

/**
 * Once the status has been sent the call is over, even when the client has not closed its side of a
 * stream yet. As gRPC servers do, the stream is then reset with NO_ERROR (after the queued trailers), so
 * it neither counts as in flight nor holds its connection open at shutdown.
 */
function endCall(req: Http2ServerRequest, res: Http2ServerResponse): void {
  if (req.readableEnded) return;
  setImmediate(() => {
    if (!res.stream.closed && !res.stream.destroyed) res.stream.close(constants.NGHTTP2_NO_ERROR);
  });
}

/** Makes Connect's `grpc-message` (written with encodeURIComponent) readable by grpc-js clients; see encodeGrpcMessage. */
function specEncodeGrpcMessage(res: Http2ServerResponse): void {
  const addTrailers = res.addTrailers.bind(res);
  res.addTrailers = (trailers) => addTrailers(respecGrpcMessage(trailers as Record<string, unknown>) as typeof trailers);
  const writeHead = res.writeHead.bind(res) as (status: number, ...rest: unknown[]) => Http2ServerResponse;
  res.writeHead = ((status: number, ...rest: unknown[]) => {
    const last = rest.length - 1;
    if (last >= 0 && typeof rest[last] === 'object' && rest[last] !== null && !Array.isArray(rest[last])) {
      rest[last] = respecGrpcMessage(rest[last] as Record<string, unknown>);
    }
    return writeHead(status, ...rest);
  }) as typeof res.writeHead;
}
