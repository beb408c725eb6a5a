import { Readable } from 'node:stream';

/** Request bodies up to this size are held in memory so a retry can send them again. */
export const replayBufferBytes = 4 * 1024 * 1024;

/**
 * A request body read for retries: `buffered` when it ended within the bound (every attempt sends the
 * same bytes), `streaming` when it is bigger (sent once as it comes, so it cannot be retried), or none.
 */
export type ReplayableBody =
  | { readonly kind: 'none' }
  | { readonly kind: 'buffered'; readonly bytes: Buffer }
  | { readonly kind: 'streaming'; readonly stream: Readable };

/**
 * Reads `body` until it ends or passes `bound` bytes. Bigger bodies are not buffered whole: the part
 * read so far is put back in front of the rest. @throws the stream's own error (a size limit)
 */
export async function readReplayable(body: Readable | undefined, bound: number = replayBufferBytes): Promise<ReplayableBody> {
  if (!body) return { kind: 'none' };
  const chunks: Buffer[] = [];
  let size = 0;
  const iterator = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  for (;;) {
    const step = await iterator.next();
    if (step.done) return { kind: 'buffered', bytes: Buffer.concat(chunks, size) };
    const chunk = Buffer.isBuffer(step.value) ? step.value : Buffer.from(step.value);
    chunks.push(chunk);
    size += chunk.length;
    if (size > bound) break;
  }
  async function* rest(): AsyncGenerator<Buffer> {
    yield* chunks;
    for (let step = await iterator.next(); !step.done; step = await iterator.next()) yield step.value;
  }
  return { kind: 'streaming', stream: Readable.from(rest(), { objectMode: false }) };
}
