import type { Transform } from 'node:stream';
import { Readable } from 'node:stream';
import { proceed, type HttpExchange, type MiddlewareReply } from './http-exchange.js';

/** An exchange for unit tests: records the answer, the headers set and what reached the end. */
export class RecordingExchange implements HttpExchange {
  reply: MiddlewareReply | undefined;
  reached = false;
  readonly responseHeaders: Record<string, string> = {};
  readonly remoteAddress: string | undefined;
  private transforms: Transform[] = [];
  private responseTransforms: Transform[] = [];

  /** @param remote the peer address; null for none (a call the sidecar makes itself) */
  constructor(
    readonly url = '/v1.0/state/store',
    readonly headers: Record<string, string | string[] | undefined> = {},
    remote: string | null = '10.0.0.1',
    readonly method = 'POST',
    private readonly body: string | undefined = undefined,
  ) {
    this.remoteAddress = remote ?? undefined;
  }

  respond(reply: MiddlewareReply): void {
    this.reply = reply;
  }

  setResponseHeader(name: string, value: string): void {
    this.responseHeaders[name] = value;
  }

  transformRequestBody(transform: Transform): void {
    this.transforms.push(transform);
  }

  transformResponseBody(transform: Transform): void {
    this.responseTransforms.push(transform);
  }

  /** The request body after every transform a middleware asked for. */
  async bodyAsSent(): Promise<string | undefined> {
    return this.body === undefined ? undefined : piped(this.body, this.transforms);
  }

  /** An answer's body after the response transforms, the innermost first. */
  responseAsSent(body: string): Promise<string> {
    return piped(body, [...this.responseTransforms].reverse());
  }

  [proceed](): Promise<void> {
    this.reached = true;
    return Promise.resolve();
  }
}

async function piped(text: string, transforms: readonly Transform[]): Promise<string> {
  let stream: Readable = Readable.from([Buffer.from(text)]);
  for (const transform of transforms) stream = stream.pipe(transform);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Runs one link with an end step that marks the exchange as reached. */
export async function runLink(link: (exchange: HttpExchange, next: (exchange: HttpExchange) => Promise<void>) => Promise<void>, exchange: RecordingExchange): Promise<void> {
  await link(exchange, (passed) => passed[proceed]());
}
