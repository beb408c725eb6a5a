import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Transform } from 'node:stream';
import { proceed, type HttpExchange, type MiddlewarePipeline, type MiddlewareReply } from './http-exchange.js';

/** How the HTTP API server runs a request through `httpPipeline`: `route` is its own routing. */
export type ApiPipeline = (req: IncomingMessage, res: ServerResponse, route: (req: IncomingMessage) => Promise<void>) => Promise<void>;

/** Wraps a composed pipeline for the HTTP API server. */
export function apiPipeline(pipeline: MiddlewarePipeline): ApiPipeline {
  return (req, res, route) => pipeline(new ServerExchange(req, res, route));
}

/** A request arriving at the sidecar's HTTP API; answers go straight to the caller's response. */
class ServerExchange implements HttpExchange {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly remoteAddress: string | undefined;
  private request: IncomingMessage;

  constructor(private readonly original: IncomingMessage, private readonly res: ServerResponse, private readonly route: (req: IncomingMessage) => Promise<void>) {
    this.request = original;
    this.method = original.method ?? 'GET';
    this.url = original.url ?? '/';
    this.headers = original.headers;
    this.remoteAddress = plainIp(original.socket.remoteAddress);
  }

  respond(reply: MiddlewareReply): void {
    // The body is not wanted: read it away so the connection can be kept.
    if (!this.original.complete) this.original.resume();
    this.res.writeHead(reply.status, { ...reply.headers });
    this.res.end(reply.body ?? '');
  }

  setResponseHeader(name: string, value: string): void {
    if (!this.res.headersSent) this.res.setHeader(name, value);
  }

  transformRequestBody(transform: Transform): void {
    this.request = transformedRequest(this.request, transform);
  }

  transformResponseBody(transform: Transform): void {
    transformResponse(this.res, transform);
  }

  [proceed](): Promise<void> {
    return this.route(this.request);
  }
}

type WriteHead = (status: number, ...rest: unknown[]) => ServerResponse;
type Write = (chunk: unknown, encoding?: unknown, callback?: unknown) => boolean;
type End = (chunk?: unknown, encoding?: unknown, callback?: unknown) => ServerResponse;

/**
 * Makes everything written to `res` from now on (by the handler, or a later middleware's answer) pass
 * through `transform` first, as a Go middleware wraps the ResponseWriter. `content-length` goes, since the
 * transform may change the length; back-pressure holds both ways.
 */
function transformResponse(res: ServerResponse, transform: Transform): void {
  const write = res.write.bind(res) as Write;
  const end = res.end.bind(res) as End;
  const writeHead = res.writeHead.bind(res) as WriteHead;
  let endCallback: (() => void) | undefined;
  transform.on('data', (chunk: Buffer) => {
    if (!res.headersSent) res.removeHeader('content-length');
    if (!write(chunk)) {
      transform.pause();
      res.once('drain', () => transform.resume());
    }
  });
  transform.once('end', () => end(endCallback));
  transform.once('error', (error) => res.destroy(error));
  // Whoever streams into `res` waits for its 'drain' when a write returns false: the transform's own counts.
  transform.on('drain', () => res.emit('drain'));
  const patched = {
    writeHead: (status: number, ...rest: unknown[]) => {
      res.removeHeader('content-length');
      return writeHead(status, ...rest.map(withoutContentLength));
    },
    write: (chunk: unknown, encoding?: unknown, callback?: unknown) =>
      transform.write(chunk, encoding as BufferEncoding, callback as (error: Error | null | undefined) => void),
    end: (chunk?: unknown, encoding?: unknown, callback?: unknown) => {
      const done = [chunk, encoding, callback].find((argument) => typeof argument === 'function') as (() => void) | undefined;
      endCallback = done;
      if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') transform.write(chunk, typeof encoding === 'string' ? encoding as BufferEncoding : 'utf8');
      transform.end();
      return res;
    },
  };
  Object.assign(res, patched);
}

/** A `writeHead` headers argument without `content-length`; other arguments as they are. */
function withoutContentLength(argument: unknown): unknown {
  if (argument === null || typeof argument !== 'object' || Array.isArray(argument)) return argument;
  return Object.fromEntries(Object.entries(argument as Record<string, unknown>).filter(([name]) => name.toLowerCase() !== 'content-length'));
}

/** `::ffff:127.0.0.1` as `127.0.0.1`, as Go reports an IPv4 peer. */
function plainIp(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

/**
 * The request with its body streamed through `transform`, for the handlers after the pipeline. The
 * handlers read only the stream, `headers`, `method`, `url` and `complete`, which the stand-in has;
 * `content-length` goes, since the transform may change the length.
 */
function transformedRequest(req: IncomingMessage, transform: Transform): IncomingMessage {
  const headers = { ...req.headers };
  const hadBody = headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
  delete headers['content-length'];
  if (hadBody) headers['transfer-encoding'] = 'chunked';
  req.once('error', (error) => transform.destroy(error));
  const body = req.pipe(transform);
  Object.defineProperties(body, {
    headers: { value: headers },
    rawHeaders: { value: req.rawHeaders },
    method: { value: req.method },
    url: { value: req.url },
    httpVersion: { value: req.httpVersion },
    socket: { value: req.socket },
    complete: { get: () => body.readableEnded },
  });
  return body as unknown as IncomingMessage;
}
