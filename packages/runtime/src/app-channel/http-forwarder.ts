import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Dispatcher } from 'undici';
import { forwardableHeaders } from './proxy-headers.js';

export interface ForwardRequest {
  readonly origin: string;
  /** Path with query string, starting with `/`. */
  readonly path: string;
  readonly method: string;
  readonly headers: Record<string, string | string[]>;
  readonly body: IncomingMessage | undefined;
  readonly maxBodyBytes: number;
}

/** Raised when a forwarded body passes the size limit while streaming. */
export class StreamTooLargeError extends Error {
  constructor() {
    super('stream too large');
    this.name = 'StreamTooLargeError';
  }
}

/** Counts bytes as they stream through and fails once the limit is passed, so nothing is buffered whole. */
function byteLimit(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      callback(seen > limit ? new StreamTooLargeError() : null, chunk);
    },
  });
}

/**
 * Sends a request through `dispatcher` and streams the answer into `res`: status, headers and body
 * pass through as they are. The request body is streamed too.
 * @throws the dispatcher's connection error, or StreamTooLargeError, before any byte of the answer is written.
 */
export async function forwardHttp(dispatcher: Dispatcher, request: ForwardRequest, res: ServerResponse): Promise<void> {
  const body = request.body && limitedRequestBody(request.body, request.method, request.maxBodyBytes);
  const response = await dispatcher.request({
    origin: request.origin,
    path: request.path,
    method: request.method as Dispatcher.HttpMethod,
    headers: request.headers,
    body: body ?? null,
  });
  res.writeHead(response.statusCode, forwardableHeaders(response.headers as Record<string, string | string[] | undefined>));
  await pipeline(response.body, res);
}

/**
 * The body of an incoming request as a stream that fails once it passes `maxBodyBytes`; undefined for
 * GET, HEAD and requests without a body.
 * @throws StreamTooLargeError when the declared Content-Length is already over the limit
 */
export function limitedRequestBody(req: IncomingMessage, method: string, maxBodyBytes: number): Readable | undefined {
  if (Number(req.headers['content-length'] ?? -1) > maxBodyBytes) throw new StreamTooLargeError();
  if (method === 'GET' || method === 'HEAD' || !requestHasBody(req)) return undefined;
  return req.pipe(byteLimit(maxBodyBytes));
}

function requestHasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}
