import { setMaxListeners } from 'node:events';
import type { Socket } from 'node:net';
import { constants, createServer, type Http2Server, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Code, ConnectError, type ConnectRouter, type Interceptor } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { isDaprError, type Logger } from '@outrigger/kit';
import { respecGrpcMessage, toConnectError, unauthenticated, writeGrpcError } from './grpc-errors.js';

/**
 * Handles a gRPC call for a service the server does not serve itself. The API token has been checked
 * and removed from the headers already; the request body is unread. gRPC proxying plugs in here.
 */
export type UnknownServiceHandler = (req: Http2ServerRequest, res: Http2ServerResponse) => void | Promise<void>;

export interface GrpcApiServerOptions {
  /** Registers the served services, e.g. `router.service(Dapr, impl)`. */
  readonly routes: (router: ConnectRouter) => void;
  /** Calls for any other service; without it they answer UNIMPLEMENTED as a Go gRPC server does. */
  readonly unknownService?: UnknownServiceHandler | undefined;
  readonly apiToken: string | undefined;
  /** Largest request message, from `--max-body-size`, as daprd's MaxRecvMsgSize. */
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  /** Run around every routed call, outermost first: metrics and the API log. */
  readonly interceptors?: readonly Interceptor[] | undefined;
  /** Starts the call's trace span (when tracing is on), before Connect reads the call's metadata. */
  readonly traceCall?: ((req: Http2ServerRequest, res: Http2ServerResponse) => void) | undefined;
}

/** The metadata key that carries the API token, as in daprd. */
export const apiTokenHeader = 'dapr-api-token';

/**
 * The Dapr gRPC API server: one cleartext HTTP/2 (h2c) server per listen address. Connect's node adapter
 * speaks the gRPC protocol to grpc-js clients (`application/grpc`) and to Connect's gRPC transport
 * (`application/grpc+proto`) alike; calls for services it does not route go to `unknownService`.
 * The API token is checked for every call, routed or not.
 */
export class GrpcApiServer {
  private readonly servers: Http2Server[] = [];
  private readonly sessions = new Set<ServerHttp2Session>();
  /** Aborted on close: ends long-lived streams (subscriptions), which would otherwise hold the drain. */
  private readonly shutdown = new AbortController();
  private readonly handler: (req: Http2ServerRequest, res: Http2ServerResponse) => void;
  private active = 0;

  constructor(private readonly options: GrpcApiServerOptions) {
    // Connect links every call's signal to this one: one listener per call in flight, many at a time.
    setMaxListeners(0, this.shutdown.signal);
    const interceptors = [...options.interceptors ?? []];
    this.handler = connectNodeAdapter({
      routes: options.routes,
      grpc: true, grpcWeb: false, connect: false,
      readMaxBytes: options.maxBodyBytes,
      // Compressed requests are still read, but answers go out uncompressed, as daprd (grpc-go) answers a
      // client that sent none: Connect would gzip every answer of 1 KiB or more that grpc-js says it
      // accepts, and zlib was the largest cost of a 1 KB GetState (bench/).
      compressMinBytes: Number.MAX_SAFE_INTEGER,
      shutdownSignal: this.shutdown.signal,
      interceptors,
      fallback: (req, res) => void this.unknown(req as Http2ServerRequest, res as Http2ServerResponse),
    }) as (req: Http2ServerRequest, res: Http2ServerResponse) => void;
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
      if (sent === undefined) {
        writeGrpcError(res, unauthenticated('apiTokenMissing'));
        endCall(req, res);
        return;
      }
      if (sent !== token) {
        writeGrpcError(res, unauthenticated('apiTokenInvalid'));
        endCall(req, res);
        return;
      }
    }
    // The token stops here: it is never passed on to an app or another service.
    delete req.headers[apiTokenHeader];
    this.options.traceCall?.(req, res);
    specEncodeGrpcMessage(res);
    this.handler(req, res);
  }

  private async unknown(req: Http2ServerRequest, res: Http2ServerResponse): Promise<void> {
    const handler = this.options.unknownService;
    if (!handler) {
      req.resume();
      const service = req.url.split('/')[1] ?? '';
      writeGrpcError(res, new ConnectError(`unknown service ${service}`, Code.Unimplemented));
      endCall(req, res);
      return;
    }
    try {
      await handler(req, res);
    } catch (error) {
      const failure = this.report(error, req.url);
      if (res.headersSent) res.stream.close(0x2 /* INTERNAL_ERROR */);
      else writeGrpcError(res, failure);
    }
  }

  private report(error: unknown, method: string): ConnectError {
    const failure = toConnectError(error);
    if (!isDaprError(error) && !(error instanceof ConnectError)) {
      this.options.logger.error({ err: error, method }, `unexpected error in gRPC ${method}: ${failure.rawMessage}`);
    }
    return failure;
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
