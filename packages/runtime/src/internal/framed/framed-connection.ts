import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { framedCallChannel, FramedConnectionError, FramedUnsupportedError, type FramedAnswer, type FramedCall, type FramedCallMessage, type FramedRequest } from './framed-call.js';
import { CoalescingWriter, decodeHeadAndBody, encodeFrame, endOfStream, FrameReader, FrameType, framedPreface, type Frame } from './frames.js';

/** A call being measured for {@link framedCallChannel}; published as it is once finished. */
interface Measured extends FramedCallMessage {
  readonly started: number;
  status: number;
  responseBytes: number;
  elapsedMs: number;
}

interface PendingCall {
  resolve(answer: FramedAnswer): void;
  reject(error: Error): void;
  /** The answer's body while it streams in. */
  stream?: Readable;
  paused: boolean;
  /** Set once the caller's signal is listened to, to stop listening when the call ends. */
  unlisten?: () => void;
  /** Set when the call is measured (someone listens on {@link framedCallChannel}). */
  measured?: Measured;
}

/** Idle connections are ended after this long, so a sidecar that went away leaves no socket behind. */
const idleMs = 60_000;

/** One connection to one sidecar: its calls, their answers, cancels and pacing. */
export class FramedConnection {
  usable = true;
  private readonly socket: Socket;
  private readonly writer: CoalescingWriter;
  private readonly reader = new FrameReader();
  private readonly calls = new Map<number, PendingCall>();
  private nextStream = 1;
  private preface: Buffer | undefined = Buffer.alloc(0);
  private ending = false;

  constructor(private readonly address: string, private readonly onHttpOnly: () => void, private readonly onGone: () => void) {
    const colon = address.lastIndexOf(':');
    this.socket = connect({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)), noDelay: true });
    this.socket.setTimeout(idleMs);
    this.writer = new CoalescingWriter(this.socket);
    this.socket.write(framedPreface);
    this.socket.on('data', (chunk: Buffer) => this.received(chunk));
    this.socket.on('timeout', () => {
      if (this.calls.size === 0) this.endWhenIdle();
    });
    this.socket.on('error', (error) => this.fail(new FramedConnectionError(`connection to ${address} failed: ${error.message}`, { cause: error })));
    this.socket.on('close', () => this.fail(new FramedConnectionError(`connection to ${address} closed before the answer`)));
  }

  call(request: FramedRequest, signal: AbortSignal | undefined): FramedCall {
    const stream = this.nextStream;
    const cancel = (reason: Error) => this.cancel(stream, reason);
    if (signal?.aborted) return { answer: Promise.reject(signal.reason as Error), cancel };
    this.nextStream = this.nextStream >= 0xffff_fff0 ? 1 : this.nextStream + 1;
    const answer = new Promise<FramedAnswer>((resolve, reject) => {
      const pending: PendingCall = { resolve, reject, paused: false };
      if (framedCallChannel.hasSubscribers) {
        pending.measured = { verb: request.verb, pathAndQuery: request.pathAndQuery, started: performance.now(), requestBytes: request.body?.length ?? 0, status: 0, responseBytes: 0, elapsedMs: 0 };
      }
      this.calls.set(stream, pending);
      if (signal) {
        const onAbort = () => this.cancel(stream, signal.reason as Error);
        signal.addEventListener('abort', onAbort, { once: true });
        pending.unlisten = () => signal.removeEventListener('abort', onAbort);
      }
      this.writer.write(encodeFrame(FrameType.request, stream, 0, [request.verb, request.pathAndQuery, request.headers], request.body));
    });
    return { answer, cancel };
  }

  endWhenIdle(): void {
    this.usable = false;
    this.ending = true;
    if (this.calls.size === 0) this.socket.end();
  }

  private received(chunk: Buffer): void {
    if (this.preface) {
      const seen = Buffer.concat([this.preface, chunk]);
      const length = Math.min(seen.length, framedPreface.length);
      if (!seen.subarray(0, length).equals(framedPreface.subarray(0, length))) {
        this.httpOnlyPeer();
        return;
      }
      if (seen.length < framedPreface.length) {
        this.preface = seen;
        return;
      }
      this.preface = undefined;
      chunk = seen.subarray(framedPreface.length);
    }
    try {
      for (const frame of this.reader.push(chunk)) this.handle(frame);
    } catch (error) {
      this.socket.destroy(error as Error);
    }
  }

  private handle(frame: Frame): void {
    if (frame.type === FrameType.goAway) {
      this.usable = false;
      this.onGone();
      this.endWhenIdle();
      return;
    }
    const call = this.calls.get(frame.stream);
    if (!call) return; // cancelled here already; its late frames are dropped
    switch (frame.type) {
      case FrameType.response: {
        const { head, body } = decodeHeadAndBody(frame.payload);
        const [status, headers] = head as [number, Record<string, string | string[]>];
        if (call.measured) {
          call.measured.status = status;
          call.measured.responseBytes = body.length;
        }
        if (frame.flags & endOfStream) {
          this.finish(frame.stream, call, true);
          call.resolve({ status, headers, body });
          return;
        }
        call.stream = this.answerStream(frame.stream, call);
        if (body.length > 0) call.stream.push(body);
        call.resolve({ status, headers, body: call.stream });
        return;
      }
      case FrameType.data:
        if (!call.stream) return;
        if (call.measured) call.measured.responseBytes += frame.payload.length;
        if (frame.payload.length > 0 && !call.stream.push(frame.payload) && !call.paused) {
          call.paused = true;
          this.writer.write(encodeFrame(FrameType.pause, frame.stream, 0));
        }
        if (frame.flags & endOfStream) {
          this.finish(frame.stream, call, true);
          call.stream.push(null);
        }
        return;
      case FrameType.reset: {
        this.finish(frame.stream, call);
        const error = new FramedConnectionError(`the other sidecar ended the call: ${frame.payload.toString('utf8')}`);
        if (call.stream) call.stream.destroy(error);
        else call.reject(error);
        return;
      }
      default:
        this.socket.destroy(new Error(`unexpected frame type ${frame.type}`));
    }
  }

  /** The body of an answer that goes on in data frames; the consumer's pace pauses and resumes the sender. */
  private answerStream(stream: number, call: PendingCall): Readable {
    const body = new Readable({
      read: () => {
        if (!call.paused) return;
        call.paused = false;
        this.writer.write(encodeFrame(FrameType.resume, stream, 0));
      },
      destroy: (error, callback) => {
        // The consumer let go before the end (the caller hung up): the other side stops sending.
        if (this.calls.get(stream) === call) {
          this.finish(stream, call);
          this.writer.write(encodeFrame(FrameType.cancel, stream, 0));
        }
        callback(error);
      },
    });
    // A broken connection destroys the body with an error; whoever reads it sees that, and a body nobody
    // reads any more (its caller gone) must not take the sidecar down with an unhandled 'error'.
    body.on('error', () => undefined);
    return body;
  }

  private cancel(stream: number, reason: Error): void {
    const call = this.calls.get(stream);
    if (!call) return;
    this.finish(stream, call);
    this.writer.write(encodeFrame(FrameType.cancel, stream, 0));
    if (call.stream) call.stream.destroy(reason);
    else call.reject(reason);
  }

  /** @param answered the whole answer came: the call is published when measured */
  private finish(stream: number, call: PendingCall, answered = false): void {
    this.calls.delete(stream);
    call.unlisten?.();
    const measured = call.measured;
    if (answered && measured) {
      measured.elapsedMs = performance.now() - measured.started;
      framedCallChannel.publish(measured);
    }
    if (this.ending && this.calls.size === 0) this.socket.end();
  }

  private httpOnlyPeer(): void {
    this.usable = false;
    this.onHttpOnly();
    this.onGone();
    const error = new FramedUnsupportedError(this.address);
    for (const call of this.calls.values()) call.reject(error);
    this.calls.clear();
    this.socket.destroy();
  }

  private fail(error: Error): void {
    this.usable = false;
    this.onGone();
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const call of calls) {
      call.unlisten?.();
      if (call.stream) call.stream.destroy(error);
      else call.reject(error);
    }
  }
}
