import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpExchange } from './sidecar-metrics.js';

/** One request the HTTP API answered, for metrics and API logs. */
export interface ServedRequest extends HttpExchange {
  /** The route template that handled it (`/v1.0/state/{storeName}`); the invocation template for the fallback. */
  readonly route: string;
  readonly userAgent: string | undefined;
}

export type ServedRequestSink = (served: ServedRequest) => void;

/**
 * What the HTTP API server calls for each request: called when the request arrives, it returns the
 * function to call once the response is finished, with the route template that handled it.
 */
export type HttpRequestObserver = (req: IncomingMessage, res: ServerResponse) => (route: string) => void;

/**
 * Builds the observer that measures each request (time, body bytes both ways) and hands the result to
 * every sink. The request size is its Content-Length, as in daprd; the response size is counted as
 * the body is written.
 */
export function observeHttpRequests(sinks: readonly ServedRequestSink[]): HttpRequestObserver | undefined {
  if (sinks.length === 0) return undefined;
  return (req, res) => {
    const started = performance.now();
    const counted = countWrittenBytes(res);
    return (route) => {
      const declared = Number(req.headers['content-length']);
      const served: ServedRequest = {
        method: req.method ?? 'GET',
        path: (req.url ?? '/').split('?')[0] ?? '/',
        status: res.statusCode,
        elapsedMs: performance.now() - started,
        requestBytes: Number.isFinite(declared) && declared > 0 ? declared : 0,
        responseBytes: counted(),
        route,
        userAgent: req.headers['user-agent'],
      };
      for (const sink of sinks) sink(served);
    };
  };
}

/**
 * Counts the body bytes written to a response: the HTTP API server's responses count their own
 * (`bodyBytes`, see api/http/counted-response.ts); any other is counted by wrapping its `write` and `end`.
 */
function countWrittenBytes(res: ServerResponse): () => number {
  if (typeof (res as { bodyBytes?: unknown }).bodyBytes === 'number') return () => (res as unknown as { bodyBytes: number }).bodyBytes;
  let bytes = 0;
  const add = (chunk: unknown, encoding: unknown) => {
    if (typeof chunk === 'string') bytes += Buffer.byteLength(chunk, typeof encoding === 'string' ? encoding as BufferEncoding : 'utf8');
    else if (chunk instanceof Uint8Array) bytes += chunk.byteLength;
  };
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.write = ((...args: unknown[]) => {
    add(args[0], args[1]);
    return write(...args);
  }) as ServerResponse['write'];
  res.end = ((...args: unknown[]) => {
    if (typeof args[0] !== 'function') add(args[0], args[1]);
    return end(...args);
  }) as ServerResponse['end'];
  return () => bytes;
}
