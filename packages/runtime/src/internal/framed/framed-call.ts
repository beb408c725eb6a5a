import { channel } from 'node:diagnostics_channel';
import type { Readable } from 'node:stream';

/** One invocation as it travels to the other sidecar; its body was read whole. */
export interface FramedRequest {
  readonly verb: string;
  /** Method path and query string, starting with `/`, encoding kept. */
  readonly pathAndQuery: string;
  readonly headers: Readonly<Record<string, string | string[]>>;
  readonly body: Buffer | undefined;
}

/** The other sidecar's answer: a body that came in one frame is a Buffer, a longer one a stream. */
export interface FramedAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer | Readable;
}

/** The other side answered the preface as an HTTP server would: it does not speak this protocol. The call was not made. */
export class FramedUnsupportedError extends Error {
  constructor(address: string) {
    super(`the sidecar at ${address} does not speak the framed protocol`);
    this.name = 'FramedUnsupportedError';
  }
}

/** The connection failed or closed before the answer came. */
export class FramedConnectionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FramedConnectionError';
  }
}

/** A call under way: its answer, and what stops it (the other side is told; the answer rejects with `reason`). */
export interface FramedCall {
  readonly answer: Promise<FramedAnswer>;
  cancel(reason: Error): void;
}

/** A finished framed call, as published on {@link framedCallChannel} (its answer had a status). */
export interface FramedCallMessage {
  readonly verb: string;
  readonly pathAndQuery: string;
  readonly status: number;
  readonly elapsedMs: number;
  readonly requestBytes: number;
  readonly responseBytes: number;
}

/**
 * Every finished framed call is published here when someone listens, as undici publishes its requests:
 * the client metrics watch both, so no caller has to report its own calls.
 */
export const framedCallChannel = channel('outrigger:framed:call');
