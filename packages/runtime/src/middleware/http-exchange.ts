import type { Transform } from 'node:stream';
import type { ChainLink } from '@outrigger/kit';

/** A short answer a middleware gives instead of passing the request on (429, 401, 400...). */
export interface MiddlewareReply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** Runs what comes after the last middleware: the API's router, or the call to the app. */
export const proceed = Symbol('proceed');

/**
 * One HTTP request as a middleware sees it, whichever pipeline it is in: a request arriving at the
 * sidecar's HTTP API (`httpPipeline`) or a call the sidecar makes to its app (`appHttpPipeline`).
 */
export interface HttpExchange {
  /** HTTP verb, upper case. */
  readonly method: string;
  /** Path and query string as sent, percent-encoding kept, starting with `/`. */
  readonly url: string;
  /** Request headers, names in lower case. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The peer's IP address; undefined for calls the sidecar makes to its app. */
  readonly remoteAddress: string | undefined;
  /** Ends the exchange with this answer; the middleware then returns without calling `next`. */
  respond(reply: MiddlewareReply): void;
  /** Adds a header to whatever answer the exchange ends with. */
  setResponseHeader(name: string, value: string): void;
  /** Streams the request body through `transform` before anything further reads it; its length may change. */
  transformRequestBody(transform: Transform): void;
  /** Streams the answer's body through `transform`, whoever answers (the app, the API, a later middleware). */
  transformResponseBody(transform: Transform): void;
  /** What follows the pipeline; called by the pipeline itself, never by a middleware. */
  [proceed](): Promise<void>;
}

/** One middleware: does its part around `next`, or answers itself and does not call it. */
export type MiddlewareLink = ChainLink<HttpExchange, void>;

/** A composed pipeline, ready to run an exchange. */
export type MiddlewarePipeline = (exchange: HttpExchange) => Promise<void>;

/** A header's first value. */
export function headerValue(headers: HttpExchange['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
