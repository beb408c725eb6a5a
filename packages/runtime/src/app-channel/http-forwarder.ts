import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { forwardableHeaders } from './proxy-headers.js';

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
 * Bodies up to this size that declare their length are read whole and forwarded in one write. For the
 * small bodies most invocations carry, a stream's per-chunk events and a pipeline's set-up and tear-down
 * (an AbortController and an AbortError each time) cost more than holding 64 KiB at most (bench/).
 */
export const smallBodyBytes = 64 * 1024;

/**
 * The length a message's headers declare for its body when it is one to read whole: within
 * {@link smallBodyBytes} and without chunked framing; undefined otherwise.
 */
export function smallDeclaredLength(headers: Readonly<Record<string, string | string[] | undefined>>): number | undefined {
  if (headers['transfer-encoding'] !== undefined) return undefined;
  const declared = Number(headers['content-length'] ?? -1);
  return declared >= 0 && declared <= smallBodyBytes ? declared : undefined;
}

/**
 * Writes an answer into `res`: status and headers as they are (hop-by-hop headers dropped), then the
 * body. A body already whole, or a small one with a declared length (read whole first), is written with
 * `end`; any other body streams through. Once the answer is whole, a request body the far side left
 * unread is dropped ({@link dropUnreadBody}, up to `maxBodyBytes`).
 * @throws when the body fails before the headers are written (small bodies), or while streaming
 */
export async function relayAnswer(status: number, headers: Record<string, string | string[] | undefined>, body: Buffer | Readable, res: ServerResponse, maxBodyBytes: number): Promise<void> {
  const writeWhole = (bytes: Buffer): void => {
    dropUnreadBody(res.req, maxBodyBytes);
    res.writeHead(status, forwardableHeaders(headers));
    res.end(bytes);
  };
  if (Buffer.isBuffer(body)) return writeWhole(body);
  const declared = smallDeclaredLength(headers);
  if (declared !== undefined) return writeWhole(await readWholeBody(body, declared));
  try {
    res.writeHead(status, forwardableHeaders(headers));
  } catch (error) {
    body.destroy();
    throw error;
  }
  await pipeline(body, res);
  dropUnreadBody(res.req, maxBodyBytes);
}

/**
 * The far side answered without reading the whole request body (an app or a sidecar that refused it
 * early, e.g. over its own size limit), and the caller is still sending it. The body stops going to a
 * reader that is gone and the rest is read and dropped, so the caller's next request on this keep-alive
 * connection is not stuck behind it (or reset with it), as Node does for a body no handler read. A
 * caller that sends more than `limit` bytes of it loses the connection instead.
 */
export function dropUnreadBody(req: IncomingMessage, limit: number): void {
  if (req.complete || req.destroyed) return;
  req.unpipe();
  let dropped = 0;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > limit) req.socket.destroy();
  });
  req.resume();
}

/**
 * The request body to forward: a small body with a declared length read whole (see
 * {@link smallBodyBytes}), else {@link limitedRequestBody}'s stream; undefined when there is none.
 * @throws StreamTooLargeError when the declared Content-Length is over the limit
 */
export async function smallOrStreamedBody(req: IncomingMessage, method: string, maxBodyBytes: number): Promise<Buffer | Readable | undefined> {
  const declared = smallDeclaredLength(req.headers);
  if (declared !== undefined && declared <= maxBodyBytes && method !== 'GET' && method !== 'HEAD') {
    return declared === 0 ? undefined : readWholeBody(req, declared);
  }
  return limitedRequestBody(req, method, maxBodyBytes);
}

/**
 * Reads a stream to its end; fails when it errors or closes before the end (a caller that hung up).
 * The listeners are left on: the stream is finished either way, and removing four listeners twice per
 * call showed in the profile. A settled promise ignores the later events.
 */
export function readWholeBody(stream: Readable, expectedLength: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
    });
    stream.on('end', () => resolve(chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, size)));
    stream.on('error', reject);
    stream.on('close', () => {
      if (!stream.readableEnded) reject(new Error(`the body ended after ${size} of ${expectedLength} bytes`));
    });
  });
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
