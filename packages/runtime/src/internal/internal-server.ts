import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server, type Http2Server, type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from 'node:http2';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { errorMessage, isDaprError, type Logger } from '@outrigger/kit';
import type { AccessControl } from '../blocks/invoke/access-control.js';
import { callerHeaders, type InvokeService } from '../blocks/invoke/invoke-service.js';
import { sendError } from '../api/http/http-io.js';
import { GrpcCode, writeGrpcStatus } from '../api/grpc/grpc-status.js';
import { FramedServerSession, type FramedCallObserver } from './framed/framed-server-session.js';
import { sidecarErrorHeader } from './sidecar-error.js';

/** Passes a proxied gRPC call (arriving over h2c from another sidecar) on to this sidecar's app. */
export type ProxiedCallHandler = (req: Http2ServerRequest, res: Http2ServerResponse) => void;

/** The HTTP/2 connection preface starts so; no HTTP/1.x request line does. */
const http2Preface = Buffer.from('PRI * HTTP/2.0');

export interface InternalServerHooks {
  /** Refuses calls the called app's access control denies (Configuration `spec.accessControl`); without it every call goes on. */
  readonly accessControl?: AccessControl;
  /** Passes proxied gRPC calls on to the app; without it they are answered UNIMPLEMENTED. */
  readonly proxied?: ProxiedCallHandler;
  /** Starts the trace span of an arriving HTTP/1.1 invocation (when tracing is on), before it goes on to the app. */
  readonly traceCall?: (req: IncomingMessage, res: ServerResponse) => void;
  /** The same for an invocation arriving over the framed protocol. */
  readonly traceFramedCall?: FramedCallObserver;
}

/**
 * The sidecar-to-sidecar server: another sidecar forwards invocations for this app here, with the
 * caller's identity in `dapr-caller-app-id` / `dapr-caller-namespace`; the call goes on to the app.
 * One port serves three protocols, told apart by the connection's first bytes: the framed protocol
 * (internal/framed/) for HTTP invocations whose request body was read whole, HTTP/1.1 keep-alive for
 * the others (streamed bodies, and callers that do not speak the framed protocol), and h2c for proxied
 * gRPC calls (the measured choices, docs/architecture.md).
 * It listens on loopback only until mTLS exists, so only sidecars on this machine can reach it.
 */
export class InternalServer {
  private listener: NetServer | undefined;
  private readonly http1: Server;
  private readonly http2: Http2Server;
  private readonly sessions = new Set<ServerHttp2Session>();
  private readonly framedSessions = new Set<FramedServerSession>();

  constructor(private readonly invoke: InvokeService, private readonly logger: Logger, private readonly hooks: InternalServerHooks = {}) {
    this.http1 = createServer({ keepAliveTimeout: 65_000 }, (req, res) => this.invocation(req, res));
    const proxied = hooks.proxied;
    this.http2 = createHttp2Server({}, (req, res) => {
      if (proxied && String(req.headers['content-type'] ?? '').startsWith('application/grpc')) {
        const access = hooks.accessControl;
        if (access && !access.allowsCalls) {
          req.resume();
          // What daprd's proxy answers: the bare policy text with PERMISSION_DENIED.
          writeGrpcStatus(res, GrpcCode.PermissionDenied, access.deniedText(req.url, 'NONE'));
          return;
        }
        proxied(req, res);
        return;
      }
      req.resume();
      writeGrpcStatus(res, GrpcCode.Unimplemented, 'the internal server takes only gRPC calls over HTTP/2');
    });
    this.http2.on('session', (session) => {
      this.sessions.add(session);
      session.once('close', () => this.sessions.delete(session));
    });
  }

  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    // Nagle's algorithm off on every protocol: node:http turns it off only on connections it accepts
    // itself, and these are handed over; a small write behind an unacknowledged one would wait for the
    // caller's delayed ACK (h2c answers are written in pieces: headers, data, trailers).
    const listener = createNetServer({ noDelay: true }, (socket) => this.route(socket));
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen({ port, host }, () => resolve());
    });
    this.listener = listener;
    return (listener.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const listener = this.listener;
    if (!listener) return;
    await new Promise<void>((resolve) => {
      listener.close(() => resolve());
      this.http1.closeIdleConnections();
      for (const session of this.sessions) session.close();
      for (const session of this.framedSessions) session.goAway();
    });
  }

  closeAllConnections(): void {
    this.http1.closeAllConnections();
    for (const session of this.sessions) session.destroy();
    for (const session of this.framedSessions) session.destroy();
  }

  /**
   * Reads until the first bytes tell the framed preface (a NUL byte first) or HTTP/2's preface from an
   * HTTP/1.x request line, puts them back and hands the socket over. Read with `read()` rather than 'data' events: the HTTP/2 session takes over
   * the socket's buffered bytes only while the socket is not flowing.
   */
  private route(socket: Socket): void {
    let seen = Buffer.alloc(0);
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) seen = Buffer.concat([seen, chunk]);
      const length = Math.min(seen.length, http2Preface.length);
      const isHttp2 = seen.subarray(0, length).equals(http2Preface.subarray(0, length));
      if (seen.length === 0 || (isHttp2 && seen.length < http2Preface.length)) return;
      socket.off('readable', onReadable);
      socket.unshift(seen);
      if (seen[0] === 0) {
        this.framed(socket);
        return;
      }
      (isHttp2 ? this.http2 : this.http1).emit('connection', socket);
    };
    socket.on('readable', onReadable);
    socket.on('error', () => socket.destroy());
  }

  private framed(socket: Socket): void {
    const session = new FramedServerSession(socket, (request) => {
      const refusal = this.hooks.accessControl?.refusal(request.pathAndQuery, request.verb);
      if (refusal) throw refusal;
      return this.invoke.answerFramed(request);
    }, this.logger, this.hooks.traceFramedCall,
      (error) => this.invoke.channelFailure(error));
    this.framedSessions.add(session);
    socket.once('close', () => this.framedSessions.delete(session));
  }

  private invocation(req: IncomingMessage, res: ServerResponse): void {
    const caller = String(req.headers[callerHeaders.appId] ?? '');
    const namespace = String(req.headers[callerHeaders.namespace] ?? '');
    this.hooks.traceCall?.(req, res);
    const refusal = this.hooks.accessControl?.refusal(req.url ?? '/', req.method ?? 'GET');
    if (refusal) {
      req.resume();
      res.setHeader(sidecarErrorHeader, refusal.kind);
      sendError(res, refusal);
      return;
    }
    this.invoke.invokeLocal(req, res, req.url ?? '/', caller, namespace).catch((error: unknown) => {
      if (!isDaprError(error)) this.logger.warn(`internal invocation from ${caller} failed: ${errorMessage(error)}`);
      if (!req.complete) req.resume();
      const failure = this.invoke.channelFailure(error);
      if (!res.headersSent) res.setHeader(sidecarErrorHeader, failure.kind);
      sendError(res, failure);
    });
  }
}
