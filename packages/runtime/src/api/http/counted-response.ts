import { ServerResponse, type IncomingMessage } from 'node:http';

/**
 * A ServerResponse that counts the body bytes written, for the response-size metric. The HTTP API
 * server makes every response of this class, so counting costs no per-request wrapper functions (the
 * wrappers it replaces bound two functions and gave each response its own shape, on every request).
 */
export class CountedResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  bodyBytes = 0;

  override write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    this.bodyBytes += byteLength(chunk, encoding);
    return (super.write as (...args: unknown[]) => boolean)(chunk, encoding, callback);
  }

  override end(chunk?: unknown, encoding?: unknown, callback?: unknown): this {
    if (typeof chunk !== 'function') this.bodyBytes += byteLength(chunk, encoding);
    return (super.end as (...args: unknown[]) => this)(chunk, encoding, callback);
  }
}

function byteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, typeof encoding === 'string' ? encoding as BufferEncoding : 'utf8');
  return chunk instanceof Uint8Array ? chunk.byteLength : 0;
}
