import { Readable, type Transform } from 'node:stream';
import { proceed, type HttpExchange, type MiddlewarePipeline, type MiddlewareReply } from './http-exchange.js';

/** A call from the sidecar to its app, before it is sent. */
export interface AppCall {
  readonly method: string;
  /** Path with query string, starting with `/`. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: Readable | Uint8Array | string | undefined;
}

/** The app's answer, or a middleware's. */
export interface AppReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Readable;
}

/** How the HTTP app channel runs a call through `appHttpPipeline`: `send` makes the real call. */
export type AppCallPipeline = (call: AppCall, send: (call: AppCall) => Promise<AppReply>) => Promise<AppReply>;

/** Wraps a composed pipeline for the HTTP app channel. */
export function appCallPipeline(pipeline: MiddlewarePipeline): AppCallPipeline {
  return async (call, send) => {
    const exchange = new AppExchange(call, send);
    await pipeline(exchange);
    return exchange.answer();
  };
}

class AppExchange implements HttpExchange {
  readonly method: string;
  readonly url: string;
  readonly headers: AppCall['headers'];
  readonly remoteAddress = undefined;
  private call: AppCall;
  private reply: AppReply | undefined;
  private readonly extraHeaders: Record<string, string> = {};
  private readonly responseTransforms: Transform[] = [];

  constructor(original: AppCall, private readonly send: (call: AppCall) => Promise<AppReply>) {
    this.call = original;
    this.method = original.method;
    this.url = original.path;
    this.headers = original.headers;
  }

  respond(reply: MiddlewareReply): void {
    if (this.call.body instanceof Readable) this.call.body.resume();
    this.reply = { status: reply.status, headers: { ...reply.headers }, body: Readable.from(reply.body ? [Buffer.from(reply.body)] : []) };
  }

  setResponseHeader(name: string, value: string): void {
    this.extraHeaders[name.toLowerCase()] = value;
  }

  transformRequestBody(transform: Transform): void {
    const { body } = this.call;
    if (body === undefined) return;
    const source = body instanceof Readable ? body : Readable.from([Buffer.from(body)]);
    source.once('error', (error) => transform.destroy(error));
    const headers = { ...this.call.headers };
    delete headers['content-length'];
    this.call = { ...this.call, headers, body: source.pipe(transform) };
  }

  transformResponseBody(transform: Transform): void {
    this.responseTransforms.push(transform);
  }

  async [proceed](): Promise<void> {
    this.reply = await this.send(this.call);
  }

  /** The answer with the middleware's headers added where the app did not set them, its body transformed as asked. */
  answer(): AppReply {
    if (!this.reply) throw new Error('the appHttpPipeline ended without an answer');
    const headers = { ...this.reply.headers };
    for (const [name, value] of Object.entries(this.extraHeaders)) headers[name] ??= value;
    let body = this.reply.body;
    // The innermost middleware's transform sees the body first, as its writer wraps the answer first.
    for (const transform of [...this.responseTransforms].reverse()) {
      const source = body;
      source.once('error', (error) => transform.destroy(error));
      body = source.pipe(transform);
    }
    if (this.responseTransforms.length > 0) delete headers['content-length'];
    return { status: this.reply.status, headers, body };
  }
}
