import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { daprError, errorMessage, isDaprError, type DaprError, type Logger } from '@outrigger/kit';
import type { AppInvokeResponse } from '../../app-channel/app-channel.js';
import { readWholeBody, smallDeclaredLength } from '../../app-channel/http-forwarder.js';
import { forwardableHeaders } from '../../app-channel/proxy-headers.js';
import { sidecarErrorHeader } from '../sidecar-error.js';
import type { FramedRequest } from './framed-client.js';
import { CoalescingWriter, decodeHeadAndBody, encodeFrame, endOfStream, FrameReader, FrameType, framedPreface, type Frame } from './frames.js';

/**
 * Passes one call to the app; the answer's body is read or streamed back by the session. A cancelled
 * call's body is destroyed (which ends the app's request, as on the HTTP/1.1 path); an answer that
 * comes after the cancel is dropped. No AbortSignal per call: making one and listening on it cost more
 * than the rest of the call's bookkeeping (bench/).
 */
export type FramedCallHandler = (request: FramedRequest) => Promise<AppInvokeResponse>;

/** Called as a call starts; the function it returns is called with the status once the answer is sent (or 500 when it broke off). */
export type FramedCallObserver = (request: FramedRequest) => ((status: number) => void) | undefined;

/** The error a caller gets for a call whose handler failed before answering; a DaprError (a refusal) is passed as it is. */
export type FramedCallFailure = (error: unknown) => DaprError;

const internalFailure: FramedCallFailure = (error) => isDaprError(error) ? error : daprError('internal', errorMessage(error));

interface ServedCall {
  body?: Readable;
  /** The caller asked to stop sending (its own caller reads slowly). */
  paused: boolean;
}

/**
 * The internal server's side of one framed connection: each request frame is a call into the app, run
 * as soon as it arrives, answers written in the order they finish. A small answer goes back as one
 * frame; a longer one as a response frame and data frames, paced by the socket and by the caller's
 * pause and resume frames.
 */
export class FramedServerSession {
  private readonly writer: CoalescingWriter;
  private readonly reader = new FrameReader();
  private readonly calls = new Map<number, ServedCall>();
  private preface: Buffer | undefined = Buffer.alloc(0);
  private closing = false;

  constructor(private readonly socket: Socket, private readonly handler: FramedCallHandler, private readonly logger: Logger,
    private readonly observe?: FramedCallObserver, private readonly failure: FramedCallFailure = internalFailure) {
    socket.setNoDelay(true);
    const resumeBodies = () => {
      for (const call of this.calls.values()) if (!call.paused) call.body?.resume();
    };
    this.writer = new CoalescingWriter(socket, resumeBodies);
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('drain', resumeBodies);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      for (const call of this.calls.values()) call.body?.destroy();
      this.calls.clear();
    });
  }

  /** Tells the caller to send no new calls here; the connection ends once the calls in flight are answered. */
  goAway(): void {
    if (this.closing) return;
    this.closing = true;
    this.writer.write(encodeFrame(FrameType.goAway, 0, 0));
    if (this.calls.size === 0) setImmediate(() => this.socket.end());
  }

  destroy(): void {
    this.socket.destroy();
  }

  private received(chunk: Buffer): void {
    if (this.preface) {
      const seen = Buffer.concat([this.preface, chunk]);
      if (seen.length < framedPreface.length) {
        this.preface = seen;
        return;
      }
      if (!seen.subarray(0, framedPreface.length).equals(framedPreface)) {
        this.socket.destroy();
        return;
      }
      this.preface = undefined;
      this.socket.write(framedPreface);
      chunk = seen.subarray(framedPreface.length);
    }
    try {
      for (const frame of this.reader.push(chunk)) this.handle(frame);
    } catch (error) {
      this.logger.warn(`framed connection from another sidecar broken: ${errorMessage(error)}`);
      this.socket.destroy();
    }
  }

  private handle(frame: Frame): void {
    const call = this.calls.get(frame.stream);
    switch (frame.type) {
      case FrameType.request:
        if (!call) this.serve(frame);
        return;
      case FrameType.cancel:
        if (!call) return;
        this.calls.delete(frame.stream);
        call.body?.destroy();
        this.endIfDone();
        return;
      case FrameType.pause:
        if (!call) return;
        call.paused = true;
        call.body?.pause();
        return;
      case FrameType.resume:
        if (!call) return;
        call.paused = false;
        if (!this.writer.backedUp) call.body?.resume();
        return;
      default:
        throw new Error(`unexpected frame type ${frame.type}`);
    }
  }

  private serve(frame: Frame): void {
    const stream = frame.stream;
    const call: ServedCall = { paused: false };
    this.calls.set(stream, call);
    let request: FramedRequest;
    try {
      request = parseRequest(frame.payload);
    } catch (error) {
      this.reset(stream, `malformed request frame: ${errorMessage(error)}`);
      return;
    }
    const finished = this.observe?.(request);
    let answering: Promise<AppInvokeResponse>;
    try {
      answering = this.handler(request);
    } catch (error) {
      // A handler that refuses at once (draining, unhealthy app, body over the limit) throws before it
      // returns a promise; that is an answer for this call, not a broken connection.
      answering = Promise.reject(error);
    }
    answering
      .then((answer) => this.answer(stream, call, answer, finished), (error: unknown) => {
        if (!isDaprError(error)) this.logger.warn(`internal invocation from ${String(request.headers['dapr-caller-app-id'] ?? '')} failed: ${errorMessage(error)}`);
        const dapr = this.failure(error);
        const body = Buffer.from(JSON.stringify(dapr), 'utf8');
        this.respond(stream, dapr.httpStatus, { 'content-type': 'application/json', 'content-length': String(body.length), [sidecarErrorHeader]: dapr.kind }, body, true);
        finished?.(dapr.httpStatus);
      });
  }

  private async answer(stream: number, call: ServedCall, answer: AppInvokeResponse, finished: ((status: number) => void) | undefined): Promise<void> {
    const body = answer.body;
    if (this.calls.get(stream) !== call) {
      if (!Buffer.isBuffer(body)) body.destroy();
      return;
    }
    if (Buffer.isBuffer(body)) {
      this.respond(stream, answer.status, forwardableHeaders(answer.headers), body, true);
      finished?.(answer.status);
      return;
    }
    call.body = body;
    const headers = forwardableHeaders(answer.headers);
    const declared = smallDeclaredLength(answer.headers);
    if (declared !== undefined) {
      try {
        const whole = await readWholeBody(body, declared);
        this.respond(stream, answer.status, headers, whole, true);
        finished?.(answer.status);
      } catch (error) {
        this.reset(stream, errorMessage(error));
        finished?.(500);
      }
      return;
    }
    this.respond(stream, answer.status, headers, undefined, false);
    body.on('data', (chunk: Buffer) => {
      this.writer.write(encodeFrame(FrameType.data, stream, 0, undefined, chunk));
      if (call.paused || this.writer.backedUp) body.pause();
    });
    body.once('end', () => {
      if (this.calls.get(stream) !== call) return;
      this.writer.write(encodeFrame(FrameType.data, stream, endOfStream));
      this.calls.delete(stream);
      this.endIfDone();
      finished?.(answer.status);
    });
    body.once('error', (error) => {
      this.reset(stream, errorMessage(error));
      finished?.(500);
    });
  }

  /** Writes a response frame, unless the call was cancelled meanwhile. */
  private respond(stream: number, status: number, headers: Record<string, string | string[]>, body: Buffer | undefined, end: boolean): void {
    if (!this.calls.has(stream)) return;
    this.writer.write(encodeFrame(FrameType.response, stream, end ? endOfStream : 0, [status, headers], body));
    if (!end) return;
    this.calls.delete(stream);
    this.endIfDone();
  }

  private reset(stream: number, message: string): void {
    if (!this.calls.delete(stream)) return;
    this.writer.write(encodeFrame(FrameType.reset, stream, 0, undefined, Buffer.from(message, 'utf8')));
    this.endIfDone();
  }

  private endIfDone(): void {
    if (this.closing && this.calls.size === 0) setImmediate(() => this.socket.end());
  }
}

/** @throws when the head is not `[verb, pathAndQuery, headers]` */
function parseRequest(payload: Buffer): FramedRequest {
  const { head, body } = decodeHeadAndBody(payload);
  if (!Array.isArray(head) || typeof head[0] !== 'string' || typeof head[1] !== 'string' || !head[1].startsWith('/')
    || typeof head[2] !== 'object' || head[2] === null || Array.isArray(head[2])) {
    throw new Error('the head is not [verb, path, headers]');
  }
  return { verb: head[0], pathAndQuery: head[1], headers: head[2] as Record<string, string | string[]>, body: body.length > 0 ? body : undefined };
}
