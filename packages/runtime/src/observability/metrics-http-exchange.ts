import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpExchange } from './sidecar-metrics.js';
import { pathOf } from '@outrigger/kit';

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
export type HttpRequestObserver = (req: IncomingMessage, res: BodyCountingResponse) => (route: string) => void;

/** A response that counts its own body bytes as they are written (the HTTP API server's CountedResponse). */
export type BodyCountingResponse = ServerResponse & { readonly bodyBytes: number };

/**
 * Builds the observer that measures each request (time, body bytes both ways) and hands the result to
 * every sink. The request size is its Content-Length, as in daprd; the response size is counted as
 * the body is written.
 */
export function observeHttpRequests(sinks: readonly ServedRequestSink[]): HttpRequestObserver | undefined {
  if (sinks.length === 0) return undefined;
  return (req, res) => {
    const started = performance.now();
    return (route) => {
      const declared = Number(req.headers['content-length']);
      const served: ServedRequest = {
        method: req.method ?? 'GET',
        path: pathOf(req.url ?? '/'),
        status: res.statusCode,
        elapsedMs: performance.now() - started,
        requestBytes: Number.isFinite(declared) && declared > 0 ? declared : 0,
        responseBytes: res.bodyBytes,
        route,
        userAgent: req.headers['user-agent'],
      };
      for (const sink of sinks) sink(served);
    };
  };
}
