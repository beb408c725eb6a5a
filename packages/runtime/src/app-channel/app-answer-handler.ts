import { Readable, type Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { AppInvokeResponse } from './app-channel.js';
import { smallDeclaredLength } from './http-forwarder.js';

type AnswerHeaders = AppInvokeResponse['headers'];

/**
 * Takes one answer of the app from undici's dispatch API, for {@link HttpAppChannel.invokeMethod}.
 * An answer that declares a small length ({@link smallDeclaredLength}) is collected and handed over whole, as a
 * Buffer, once it is complete; any other answer is handed over as a stream as soon as its headers
 * arrive, and the connection pauses while the stream's reader does. Going below `request()` skips its
 * body stream, its promise and its abort plumbing for the small answers most invocations get: about a
 * fifth of the client side's CPU per call (bench/).
 *
 * `done` is called once the call no longer holds a connection: the whole answer read, the stream ended
 * or destroyed, or the call failed. A request body that streams is destroyed when the call fails, as
 * `request()` did, so whatever pipes into it stops.
 */
export class AppAnswerHandler implements Dispatcher.DispatchHandler {
  private status = 0;
  private headers: AnswerHeaders = {};
  private chunks: Buffer[] | undefined;
  private stream: AnswerStream | undefined;
  private controller: Dispatcher.DispatchController | undefined;
  private readonly abortOnSignal = (): void => {
    const reason: unknown = this.signal?.reason;
    const error = reason instanceof Error ? reason : new Error(String(reason));
    if (this.stream) this.stream.destroy(error);
    else this.controller?.abort(error);
  };

  constructor(
    private readonly resolve: (answer: AppInvokeResponse) => void,
    private readonly reject: (error: unknown) => void,
    private readonly done: () => void,
    private readonly signal: AbortSignal | undefined,
    private readonly requestBody?: Readable | Uint8Array | string,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (!this.signal) return;
    if (this.signal.aborted) this.abortOnSignal();
    else this.signal.addEventListener('abort', this.abortOnSignal, { once: true });
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: AnswerHeaders): void {
    // 1xx answers are informational; the final one follows on the same call.
    if (statusCode < 200) return;
    this.status = statusCode;
    this.headers = headers;
    if (smallDeclaredLength(headers) !== undefined) {
      this.chunks = [];
      return;
    }
    const stream = new AnswerStream(controller);
    this.stream = stream;
    // The signal may still cut a stream its reader has not finished, as with request().
    stream.once('close', () => {
      this.signal?.removeEventListener('abort', this.abortOnSignal);
      this.done();
    });
    // A failure with no reader listening yet must not become an uncaught 'error'; readers see it anyway.
    stream.on('error', ignore);
    this.resolve({ status: statusCode, headers, body: stream });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.chunks) this.chunks.push(chunk);
    else if (this.stream && !this.stream.push(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    if (this.stream) {
      this.stream.push(null);
      return;
    }
    this.signal?.removeEventListener('abort', this.abortOnSignal);
    const chunks = this.chunks ?? [];
    // The call has left the connection before its caller sees the answer.
    this.done();
    this.resolve({ status: this.status, headers: this.headers, body: chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks) });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.stream) {
      this.stream.destroy(error);
      return;
    }
    this.signal?.removeEventListener('abort', this.abortOnSignal);
    if (this.requestBody instanceof Readable) this.requestBody.destroy();
    this.done();
    this.reject(error);
  }

  /** An invocation is a request and an answer: a CONNECT that the app takes as a tunnel is refused and its socket closed. */
  onRequestUpgrade(controller: Dispatcher.DispatchController, _statusCode: number, _headers: AnswerHeaders, socket: Duplex): void {
    socket.destroy();
    this.onResponseError(controller, new Error('the app answered with a protocol upgrade, which an invocation cannot carry'));
  }
}

function ignore(): void {}

/** The body of a streamed answer: reading resumes the connection, destroying it before its end aborts the call. */
class AnswerStream extends Readable {
  constructor(private readonly controller: Dispatcher.DispatchController) {
    super();
  }

  override _read(): void {
    if (this.controller.paused) this.controller.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.readableEnded && !this.controller.aborted) this.controller.abort(error ?? new Error('the answer was abandoned before its end'));
    callback(error);
  }
}
