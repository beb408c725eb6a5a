import { constants, type Http2ServerRequest, type Http2ServerResponse, type OutgoingHttpHeaders } from 'node:http2';
import { create, fromBinary, isMessage, toBinary, type DescMethod, type DescMethodUnary, type Message } from '@bufbuild/protobuf';
import { Code, ConnectError, type Interceptor, type UnaryRequest, type UnaryResponse } from '@connectrpc/connect';
import { compressionBrotli, compressionGzip } from '@connectrpc/connect-node';
import type { Compression } from '@connectrpc/connect/protocol';
import { contentTypeProto, parseTimeout, setTrailerStatus } from '@connectrpc/connect/protocol-grpc';
import { isDaprError, type Logger } from '@outrigger/kit';
import type { ServedMethod } from './dapr-service.js';
import { toConnectError } from './grpc-errors.js';
import { addNodeHeaders, UnaryCallContext } from './unary-call-context.js';

// Unary Dapr methods served on the gRPC API's node:http2 server below Connect. Connect's node adapter
// turns each call into a pipeline of async iterables, fetch Headers, linked AbortControllers (aborted
// at the end of every call) and a universal request/response pair: about 0.8 ms of CPU per GetState on a
// 2-core machine, five times the HTTP API's whole cost (bench/results/2026-11-23-grpc-api.md). A unary
// call needs none of that: one envelope in, protobuf-es `fromBinary`, the method, `toBinary`, one
// envelope and the trailers out. Streaming methods, `application/grpc+json`, encodings other than
// gzip and br, and anything else unusual stay with Connect, which answers them as before.

export interface UnaryCallOptions {
  /** Largest request message (`--max-body-size`), as Connect's readMaxBytes. */
  readonly maxBodyBytes: number;
  /** The same interceptors Connect runs, outermost first (metrics, the API log, span attributes). */
  readonly interceptors: readonly Interceptor[];
  /** Aborted on close; linked into a call's signal when its method asks for the signal. */
  readonly shutdownSignal: AbortSignal;
  readonly logger: Logger;
}

type UnaryImpl = (request: Message, context: UnaryCallContext) => unknown;

type Next = (request: UnaryRequest) => Promise<UnaryResponse>;

interface UnaryRoute {
  readonly method: DescMethodUnary;
  readonly impl: UnaryImpl;
}

/** The request encodings read here (Connect's defaults); `identity` or none means uncompressed. */
const encodings: ReadonlyMap<string | undefined, Compression | null> = new Map<string | undefined, Compression | null>([
  [undefined, null], ['identity', null], ['gzip', compressionGzip], ['br', compressionBrotli],
]);

/** Binary gRPC as grpc-js and Connect's gRPC transport send it. */
const binaryContentTypes = new Set(['application/grpc', 'application/grpc+proto']);

/** setTimeout's longest delay; a later deadline is, for a unary call, no deadline. */
const maxTimerMs = 2_147_483_647;

const envelopeHeaderBytes = 5;

export class UnaryCalls {
  private readonly routes = new Map<string, UnaryRoute>();

  constructor(methods: readonly ServedMethod[], private readonly options: UnaryCallOptions) {
    for (const { method, impl } of methods) {
      if (method.methodKind !== 'unary') continue;
      this.routes.set(`/${method.parent.typeName}/${method.name}`, { method: method as DescMethodUnary, impl: impl as UnaryImpl });
    }
  }

  /** Serves the call when it is a unary Dapr method in binary gRPC; false leaves it to Connect. */
  serve(req: Http2ServerRequest, res: Http2ServerResponse): boolean {
    const route = this.routes.get(req.url);
    if (!route || req.method !== 'POST') return false;
    const headers = req.headers;
    const contentType = headers['content-type'];
    if (contentType === undefined || !binaryContentTypes.has(contentType)) return false;
    const encoding = headers['grpc-encoding'];
    if (Array.isArray(encoding)) return false;
    const compression = encodings.get(encoding);
    if (compression === undefined) return false;
    this.start(route, req, res, compression);
    return true;
  }

  private start(route: UnaryRoute, req: Http2ServerRequest, res: Http2ServerResponse, compression: Compression | null): void {
    const headers = req.headers;
    const timeoutHeader = headers['grpc-timeout'];
    const timeout = timeoutHeader === undefined ? undefined : parseTimeout(String(timeoutHeader), Number.MAX_SAFE_INTEGER);
    const deadline = timeout?.timeoutMs === undefined ? undefined : Date.now() + timeout.timeoutMs;
    const authority = headers[':authority'] ?? headers.host ?? 'localhost';
    const call = new UnaryCallContext(route.method, `http://${authority}${req.url}`, headers, deadline, this.options.shutdownSignal);
    if (timeout?.error) {
      this.fail(res, call, timeout.error);
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    if (timeout?.timeoutMs !== undefined && timeout.timeoutMs <= maxTimerMs) {
      timer = setTimeout(() => {
        const expired = new ConnectError('the operation timed out', Code.DeadlineExceeded);
        call.abort(expired);
        this.fail(res, call, expired);
      }, timeout.timeoutMs);
    }
    res.stream.once('close', () => {
      clearTimeout(timer);
      if (call.answered) return;
      // Gone before its answer: the client cancelled, or the connection ended.
      call.abort(new ConnectError(`the call ended before its answer (HTTP/2 code ${res.stream.rstCode ?? constants.NGHTTP2_CANCEL})`, Code.Canceled));
    });
    const limit = this.options.maxBodyBytes + envelopeHeaderBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size > limit) return;
      size += chunk.length;
      chunks.push(chunk);
      if (size > limit) this.fail(res, call, tooLarge(Buffer.concat(chunks), this.options.maxBodyBytes));
    });
    req.once('end', () => {
      if (size <= limit) void this.run(route, res, call, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size), compression);
    });
  }

  private async run(route: UnaryRoute, res: Http2ServerResponse, call: UnaryCallContext, body: Buffer, compression: Compression | null): Promise<void> {
    let input: Message;
    try {
      input = await this.decode(route.method, body, compression);
    } catch (error) {
      this.fail(res, call, ConnectError.from(error));
      return;
    }
    if (call.aborted !== undefined) {
      this.fail(res, call, ConnectError.from(call.aborted));
      return;
    }
    let ownResponse: UnaryResponse | undefined;
    const invoke: Next = async (request) => {
      const output = await route.impl(request.message, call);
      ownResponse = {
        stream: false, service: route.method.parent, method: route.method,
        message: isMessage(output, route.method.output) ? output : create(route.method.output, output as never),
        get header() { return call.responseHeader; },
        get trailer() { return call.responseTrailer; },
      };
      return ownResponse;
    };
    const request: UnaryRequest = {
      stream: false, service: route.method.parent, method: route.method, requestMethod: 'POST', url: call.url, message: input,
      get signal() { return call.signal; },
      get header() { return call.requestHeader; },
      get contextValues() { return call.values; },
    };
    try {
      // Composed per call as Connect does: an interceptor may keep state in its closure.
      const next = this.options.interceptors.reduceRight<Next>((inner, interceptor) => interceptor(inner as Parameters<Interceptor>[0]) as Next, invoke);
      const response = await next(request);
      // Aborted: answered already at the deadline, gone with its client, or (shutdown) answered here.
      if (call.aborted !== undefined) this.fail(res, call, ConnectError.from(call.aborted));
      else this.answer(res, call, response, response === ownResponse);
    } catch (error) {
      this.fail(res, call, this.connectError(error, route.method));
    }
  }

  private async decode(method: DescMethod, body: Buffer, compression: Compression | null): Promise<Message> {
    if (body.length === 0) throw new ConnectError('protocol error: missing input message for unary method', Code.Unimplemented);
    if (body.length < envelopeHeaderBytes) throw incompleteEnvelope();
    const length = body.readUInt32BE(1);
    const end = envelopeHeaderBytes + length;
    if (length > this.options.maxBodyBytes) throw tooLarge(body, this.options.maxBodyBytes);
    if (body.length < end) throw incompleteEnvelope();
    if (body.length > end) {
      const rest = body.subarray(end);
      throw rest.length >= envelopeHeaderBytes && rest.length >= envelopeHeaderBytes + rest.readUInt32BE(1)
        ? new ConnectError('protocol error: received extra input message for unary method', Code.Unimplemented)
        : incompleteEnvelope();
    }
    let bytes: Uint8Array = body.subarray(envelopeHeaderBytes, end);
    if ((body[0]! & 0b1) === 1) {
      if (!compression) throw new ConnectError('received compressed envelope, but do not know how to decompress', Code.Internal);
      bytes = await compression.decompress(bytes, this.options.maxBodyBytes);
    }
    try {
      return fromBinary(method.input, bytes);
    } catch (error) {
      // As Connect and grpc-go answer a request they cannot unmarshal.
      throw new ConnectError(`parse binary: ${error instanceof Error ? error.message : String(error)}`, Code.Internal);
    }
  }

  private answer(res: Http2ServerResponse, call: UnaryCallContext, response: UnaryResponse, own: boolean): void {
    let frame: Buffer;
    try {
      const message = toBinary(response.method.output, response.message);
      frame = Buffer.allocUnsafe(envelopeHeaderBytes + message.length);
      frame[0] = 0;
      frame.writeUInt32BE(message.length, 1);
      frame.set(message, envelopeHeaderBytes);
    } catch (error) {
      this.fail(res, call, this.connectError(error, response.method));
      return;
    }
    // An interceptor that answered with its own response gave its own metadata.
    const headers = own ? call.headersSet : response.header;
    const trailers = own ? call.trailersSet : response.trailer;
    const trailerFields = addNodeHeaders({}, trailers);
    trailerFields['grpc-status'] = '0';
    this.write(res, call, headers, trailerFields, frame);
  }

  /** Answers the call with the error's status (once; a call already answered or gone is left alone). */
  private fail(res: Http2ServerResponse, call: UnaryCallContext, error: ConnectError): void {
    const trailers = setTrailerStatus(new Headers(call.trailersSet), error);
    this.write(res, call, call.headersSet, addNodeHeaders({}, trailers), undefined);
  }

  private write(res: Http2ServerResponse, call: UnaryCallContext, headers: Headers | undefined, trailers: OutgoingHttpHeaders, frame: Buffer | undefined): void {
    const stream = res.stream;
    if (call.answered || stream.destroyed || stream.closed || stream.headersSent) return;
    call.end();
    const fields = addNodeHeaders({}, headers);
    fields[':status'] = 200;
    fields['content-type'] = contentTypeProto;
    try {
      stream.respond(fields, { waitForTrailers: true });
      // The compat response sends these when the stream asks for trailers (and re-encodes grpc-message, see grpc-api-server.ts).
      res.addTrailers(trailers);
      stream.end(frame);
    } catch (error) {
      this.options.logger.warn({ err: error }, `the gRPC API could not answer ${call.url}: ${error instanceof Error ? error.message : String(error)}`);
      if (!stream.destroyed) stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    }
  }

  private connectError(error: unknown, method: DescMethod): ConnectError {
    if (!(error instanceof ConnectError) && !isDaprError(error)) {
      this.options.logger.error({ err: error, method: method.name }, `unexpected error in gRPC ${method.name}: ${String(error)}`);
    }
    return toConnectError(error);
  }
}

function incompleteEnvelope(): ConnectError {
  return new ConnectError('protocol error: incomplete envelope', Code.InvalidArgument);
}

/** Connect's readMaxBytes error, with the size the envelope declares when its header has arrived. */
function tooLarge(body: Buffer, maxBodyBytes: number): ConnectError {
  const declared = body.length >= envelopeHeaderBytes ? body.readUInt32BE(1) : 0;
  return new ConnectError(declared > maxBodyBytes
    ? `message size ${declared} is larger than configured readMaxBytes ${maxBodyBytes}`
    : `message size is larger than configured readMaxBytes ${maxBodyBytes}`, Code.ResourceExhausted);
}
