// The sidecar-to-sidecar framed protocol: many invocations multiplexed on one TCP connection, each
// request and each small answer one frame, and the frames of one event-loop turn written with one
// system call. docs/architecture.md says why it exists; bench/results/2026-11-23-framed.md what it saves.

/**
 * Sent by the client as the connection's first bytes and echoed by the server. It starts with a NUL
 * byte, which neither an HTTP/1.x request line nor the HTTP/2 preface can, so the internal port tells
 * the three protocols apart by the first byte.
 */
export const framedPreface = Buffer.from('\0outrigger-framed/1\n', 'latin1');

export const FrameType = {
  /** Client → server: `[head][body]`, head `[verb, pathAndQuery, headers]`; always one frame. */
  request: 1,
  /** Server → client: `[head][body]`, head `[status, headers]`; the body may go on in data frames. */
  response: 2,
  /** Server → client: more of an answer's body. */
  data: 3,
  /** Either way: the stream ends with an error (the payload says which, in UTF-8). */
  reset: 4,
  /** Client → server: the caller went away; stop the call. */
  cancel: 5,
  /** Client → server: stop sending this answer's data until `resume` (the caller reads slowly). */
  pause: 6,
  resume: 7,
  /** Server → client, stream 0: take no new calls to this connection (the sidecar is shutting down). */
  goAway: 8,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Set on the frame that carries the last bytes of a body (a response or data frame). */
export const endOfStream = 1;

/** Frame header: payload length (u32), type (u8), flags (u8), stream id (u32). */
const headerBytes = 10;

/**
 * Larger frames are a protocol error. Requests are sent framed only when read whole within the replay
 * bound (4 MiB); answers stream as data frames of the app's own chunks.
 */
export const maxFramePayload = 16 * 1024 * 1024;

export interface Frame {
  readonly type: FrameType;
  readonly flags: number;
  readonly stream: number;
  readonly payload: Buffer;
}

/** One frame as bytes; `head` (request/response) goes first as length-prefixed JSON, then `body`. */
export function encodeFrame(type: FrameType, stream: number, flags: number, head?: unknown, body?: Uint8Array): Buffer {
  // The head's JSON is encoded straight into the frame: no buffer of its own to allocate and copy.
  const json = head === undefined ? undefined : JSON.stringify(head);
  const jsonBytes = json === undefined ? 0 : Buffer.byteLength(json, 'utf8');
  const headLength = json === undefined ? 0 : 4 + jsonBytes;
  const payloadLength = headLength + (body?.length ?? 0);
  const frame = Buffer.allocUnsafe(headerBytes + payloadLength);
  frame.writeUInt32BE(payloadLength, 0);
  frame[4] = type;
  frame[5] = flags;
  frame.writeUInt32BE(stream, 6);
  if (json !== undefined) {
    frame.writeUInt32BE(jsonBytes, headerBytes);
    frame.write(json, headerBytes + 4, jsonBytes, 'utf8');
  }
  if (body) frame.set(body, headerBytes + headLength);
  return frame;
}

/** A request or response frame's payload split into its JSON head and its body. @throws on a malformed payload */
export function decodeHeadAndBody(payload: Buffer): { head: unknown; body: Buffer } {
  if (payload.length < 4) throw new Error('frame too short for its head');
  const headLength = payload.readUInt32BE(0);
  if (4 + headLength > payload.length) throw new Error('frame head longer than the frame');
  return { head: JSON.parse(payload.toString('utf8', 4, 4 + headLength)) as unknown, body: payload.subarray(4 + headLength) };
}

/**
 * Cuts a byte stream into frames. Bytes that do not yet make a whole frame wait for the next chunk;
 * a chunk that holds several frames yields them all. The chunks of a frame still arriving are only
 * listed, and joined once it is whole: a 4 MiB request in 64 KiB chunks is copied once, not once per chunk.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes the listed chunks must reach before there is anything to cut: a header, or the frame it announced. */
  private needed = headerBytes;

  /** @throws when a frame is longer than {@link maxFramePayload} (the connection is not to be trusted then) */
  *push(chunk: Buffer): Generator<Frame> {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.needed) return;
    let bytes = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    this.needed = headerBytes;
    while (bytes.length >= headerBytes) {
      const payloadLength = bytes.readUInt32BE(0);
      if (payloadLength > maxFramePayload) throw new Error(`frame of ${payloadLength} bytes is over the limit`);
      const end = headerBytes + payloadLength;
      if (bytes.length < end) {
        this.needed = end;
        break;
      }
      yield { type: bytes[4] as FrameType, flags: bytes[5] as number, stream: bytes.readUInt32BE(6), payload: bytes.subarray(headerBytes, end) };
      bytes = bytes.subarray(end);
    }
    if (bytes.length > 0) {
      this.chunks.push(bytes);
      this.buffered = bytes.length;
    }
  }
}

/** What {@link CoalescingWriter} writes to: a socket. */
export interface FrameSink {
  cork(): void;
  uncork(): void;
  write(chunk: Buffer): boolean;
  readonly destroyed: boolean;
  readonly writableNeedDrain: boolean;
}

/**
 * Queues frames and writes them once the event loop has handled this turn's I/O (setImmediate), so the
 * answers to several requests that arrived together leave in one writev instead of one write each. On
 * loopback each write is a system call that also runs the receiver's TCP stack; saving them is most of
 * this protocol's gain.
 */
export class CoalescingWriter {
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private scheduled = false;

  /** @param onFlushed called after a flush that left the sink able to take more (see {@link backedUp}) */
  constructor(private readonly sink: FrameSink, private readonly onFlushed?: () => void) {}

  /**
   * Whether a streaming body should pause: frames queued here or in the socket pass what a socket
   * buffers by itself. A body read in flowing mode can push many chunks in one turn, before any flush.
   */
  get backedUp(): boolean {
    return this.queuedBytes >= backedUpBytes || this.sink.writableNeedDrain;
  }

  write(frame: Buffer): void {
    this.queued.push(frame);
    this.queuedBytes += frame.length;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const frames = this.queued;
    this.queued = [];
    this.queuedBytes = 0;
    if (this.sink.destroyed) return;
    if (frames.length === 1) {
      this.sink.write(frames[0] as Buffer);
    } else {
      this.sink.cork();
      for (const frame of frames) this.sink.write(frame);
      this.sink.uncork();
    }
    if (!this.sink.writableNeedDrain) this.onFlushed?.();
  }
}

/** See {@link CoalescingWriter.backedUp}: a socket's own high-water mark. */
const backedUpBytes = 64 * 1024;
