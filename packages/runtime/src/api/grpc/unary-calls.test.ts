import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { gzipSync } from 'node:zlib';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import * as grpc from '@grpc/grpc-js';
import { createLogger, daprError } from '@outrigger/kit';
import { Dapr } from './dapr-protos.js';
import { daprServiceMethods, type DaprMethods } from './dapr-service.js';
import { GrpcApiServer } from './grpc-api-server.js';
import { UnaryCalls } from './unary-calls.js';

const logger = createLogger({ scope: 'test', appId: 'test', level: 'fatal', json: true, version: 'test' });
const getState = Dapr.method.getState;
const getStatePath = '/dapr.proto.runtime.v1.Dapr/GetState';

function getStateBytes(storeName: string, key: string): Buffer {
  return Buffer.from(toBinary(getState.input, create(getState.input, { storeName, key })));
}

function envelope(message: Uint8Array, compressed = false): Buffer {
  const header = Buffer.alloc(5);
  header[0] = compressed ? 1 : 0;
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

interface RawAnswer {
  readonly headers: IncomingHttpHeaders;
  /** The trailers, or the headers of a trailers-only answer. */
  readonly status: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One gRPC call on a plain HTTP/2 session, so a test can send what grpc-js would not (bad envelopes, any header). */
function rawCall(session: ClientHttp2Session, body: Buffer, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': getStatePath, 'content-type': 'application/grpc', te: 'trailers', ...headers });
    let answerHeaders: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    stream.on('response', (received) => (answerHeaders = received));
    stream.on('trailers', (received) => (trailers = received));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', reject);
    stream.on('close', () => resolve({ headers: answerHeaders, status: trailers ?? answerHeaders, body: Buffer.concat(chunks) }));
    stream.end(body);
  });
}

function grpcJsGetState(client: grpc.Client, request: Buffer, options: { metadata?: grpc.Metadata; deadline?: number } = {}) {
  return new Promise<{ answer: Buffer; headers: grpc.Metadata }>((resolve, reject) => {
    let headers = new grpc.Metadata();
    const call = client.makeUnaryRequest(getStatePath, (bytes: Buffer) => bytes, (bytes: Buffer) => bytes, request,
      options.metadata ?? new grpc.Metadata(), options.deadline === undefined ? {} : { deadline: Date.now() + options.deadline },
      (error, answer) => (error ? reject(error) : resolve({ answer: answer!, headers })));
    call.on('metadata', (received) => (headers = received));
  });
}

/** A gRPC API server whose Dapr service is only the unary calls of these methods (everything else: UNIMPLEMENTED). */
function serverOf(methods: DaprMethods, interceptors: Interceptor[] = []): GrpcApiServer {
  return new GrpcApiServer({
    loadHandler: async (hooks) => {
      const unary = new UnaryCalls(daprServiceMethods(methods, logger), { maxBodyBytes: 1_000, interceptors, shutdownSignal: hooks.shutdownSignal, logger });
      return (req, res) => {
        if (!unary.serve(req, res)) hooks.fallback(req, res);
      };
    },
    apiToken: 'let-me-in',
    logger,
  });
}

describe('unary Dapr methods served below Connect', () => {
  const seen: { key: string; token: string | null; traceparent: string | null }[] = [];
  const intercepted: string[] = [];
  const aborts = new Map<string, unknown>();
  const methods: DaprMethods = {
    async getState(request, context) {
      seen.push({ key: request.key, token: context.requestHeader.get('dapr-api-token'), traceparent: context.requestHeader.get('traceparent') });
      if (request.key === 'missing') throw daprError('stateStoreNotFound', request.storeName);
      if (request.key === 'boom') throw new TypeError('boom');
      if (request.key.startsWith('slow')) {
        // Waits for its signal, as a method that passes it to a store would.
        await new Promise((resolve) => context.signal.addEventListener('abort', resolve, { once: true }));
        aborts.set(request.key, context.signal.reason);
        return {};
      }
      context.responseHeader.set('x-answered-by', 'unary-calls');
      return { data: new TextEncoder().encode(`value of ${request.key}`), etag: '7' };
    },
  };
  const observe: Interceptor = (next) => async (request) => {
    try {
      const response = await next(request);
      intercepted.push(`${request.method.name} ${(request.message as { key?: string }).key} ok`);
      return response;
    } catch (error) {
      intercepted.push(`${request.method.name} ${(request.message as { key?: string }).key} ${ConnectError.from(error).code}`);
      throw error;
    }
  };
  const server = serverOf(methods, [observe]);
  let port: number;
  let session: ClientHttp2Session;
  let client: grpc.Client;
  const withToken = (extra: Record<string, string> = {}) => ({ 'dapr-api-token': 'let-me-in', ...extra });
  const tokenMetadata = () => {
    const metadata = new grpc.Metadata();
    metadata.set('dapr-api-token', 'let-me-in');
    return metadata;
  };

  before(async () => {
    port = await server.listen(0, ['127.0.0.1']);
    session = connect(`http://127.0.0.1:${port}`);
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(async () => {
    client.close();
    session.close();
    await server.close();
  });

  it('answers a grpc-js call with the message, the method\'s response metadata and status OK, through the interceptors', async () => {
    const metadata = tokenMetadata();
    metadata.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    const { answer, headers } = await grpcJsGetState(client, getStateBytes('store', 'k1'), { metadata });
    const message = fromBinary(getState.output, answer);
    assert.equal(new TextDecoder().decode(message.data), 'value of k1');
    assert.equal(message.etag, '7');
    assert.deepEqual(headers.get('x-answered-by'), ['unary-calls']);
    // The token stops at the server; other metadata reaches the method.
    assert.deepEqual(seen.at(-1), { key: 'k1', token: null, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    assert.equal(intercepted.at(-1), 'GetState k1 ok');
  });

  it('refuses a call without the API token before it reaches the method', async () => {
    const answer = await rawCall(session, envelope(getStateBytes('store', 'no-token')));
    assert.equal(answer.status['grpc-status'], String(Code.Unauthenticated));
    assert.ok(!seen.some((call) => call.key === 'no-token'));
  });

  it('reads a gzip-compressed request (grpc-encoding: gzip) and answers uncompressed', async () => {
    const answer = await rawCall(session, envelope(gzipSync(getStateBytes('store', 'zipped')), true), withToken({ 'grpc-encoding': 'gzip' }));
    assert.equal(answer.status['grpc-status'], '0');
    assert.equal(answer.body[0], 0, 'the answer is not compressed');
    assert.equal(new TextDecoder().decode(fromBinary(getState.output, answer.body.subarray(5)).data), 'value of zipped');
  });

  it('reads a request grpc-js compresses', async () => {
    const zipping = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip });
    try {
      const { answer } = await grpcJsGetState(zipping, getStateBytes('store', 'zipped-by-grpc-js'), { metadata: tokenMetadata() });
      assert.equal(new TextDecoder().decode(fromBinary(getState.output, answer).data), 'value of zipped-by-grpc-js');
    } finally {
      zipping.close();
    }
  });

  it('answers a malformed protobuf message with a status, as grpc-go does (INTERNAL), and keeps serving', async () => {
    const answer = await rawCall(session, envelope(Buffer.from([0x0a, 0x50, 0x01])), withToken());
    assert.equal(answer.status['grpc-status'], String(Code.Internal));
    assert.match(decodeURIComponent(String(answer.status['grpc-message'])), /^parse binary: /);
    const next = await grpcJsGetState(client, getStateBytes('store', 'after-malformed'), { metadata: tokenMetadata() });
    assert.equal(new TextDecoder().decode(fromBinary(getState.output, next.answer).data), 'value of after-malformed');
  });

  it('answers bad envelopes as Connect did: incomplete, extra message, too large, compressed without an encoding', async () => {
    const statusOf = async (body: Buffer, headers?: Record<string, string>) => {
      const { status } = await rawCall(session, body, withToken(headers));
      return [Number(status['grpc-status']), decodeURIComponent(String(status['grpc-message']))];
    };
    assert.deepEqual(await statusOf(Buffer.from([0, 0, 0, 0, 9, 1])), [Code.InvalidArgument, 'protocol error: incomplete envelope']);
    assert.deepEqual(await statusOf(Buffer.alloc(0)), [Code.Unimplemented, 'protocol error: missing input message for unary method']);
    assert.deepEqual(await statusOf(Buffer.concat([envelope(getStateBytes('s', 'a')), envelope(getStateBytes('s', 'b'))])),
      [Code.Unimplemented, 'protocol error: received extra input message for unary method']);
    assert.deepEqual(await statusOf(envelope(Buffer.alloc(2_000))), [Code.ResourceExhausted, 'message size 2000 is larger than configured readMaxBytes 1000']);
    assert.deepEqual(await statusOf(envelope(getStateBytes('s', 'a'), true)), [Code.Internal, 'received compressed envelope, but do not know how to decompress']);
    assert.deepEqual(await statusOf(envelope(Buffer.from([1, 2, 3]), true), { 'grpc-encoding': 'gzip' }), [Code.InvalidArgument, 'decompression failed']);
    assert.deepEqual(await statusOf(envelope(getStateBytes('s', 'a')), { 'grpc-timeout': 'soon' }), [Code.InvalidArgument, 'protocol error: invalid grpc timeout value: soon']);
  });

  it('answers DEADLINE_EXCEEDED at the grpc-timeout deadline and aborts the method\'s signal', async () => {
    const started = Date.now();
    const answer = await rawCall(session, envelope(getStateBytes('store', 'slow-deadline')), withToken({ 'grpc-timeout': '100m' }));
    assert.equal(answer.status['grpc-status'], String(Code.DeadlineExceeded));
    assert.ok(Date.now() - started < 2_000, 'answered at the deadline, not later');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(ConnectError.from(aborts.get('slow-deadline')).code, Code.DeadlineExceeded);
    // grpc-js sees its own deadline the same way.
    await assert.rejects(grpcJsGetState(client, getStateBytes('store', 'slow-grpc-js'), { metadata: tokenMetadata(), deadline: 100 }), { code: grpc.status.DEADLINE_EXCEEDED });
  });

  it('aborts the method\'s signal when the client cancels the call', async () => {
    const calls = seen.length;
    const stream = session.request({ ':method': 'POST', ':path': getStatePath, 'content-type': 'application/grpc', te: 'trailers', ...withToken() });
    stream.on('error', () => undefined);
    stream.end(envelope(getStateBytes('store', 'slow-cancelled')));
    while (seen.length === calls) await new Promise((resolve) => setTimeout(resolve, 5));
    stream.close(8); // CANCEL
    while (!aborts.has('slow-cancelled')) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(ConnectError.from(aborts.get('slow-cancelled')).code, Code.Canceled);
  });

  it('answers a DaprError with its status and ErrorInfo, and an unexpected error as ERR_INTERNAL', async () => {
    const missing = await rawCall(session, envelope(getStateBytes('nope', 'missing')), withToken());
    assert.equal(missing.status['grpc-status'], String(Code.InvalidArgument));
    assert.equal(decodeURIComponent(String(missing.status['grpc-message'])), 'state store nope is not found');
    const details = Buffer.from(String(missing.status['grpc-status-details-bin']), 'base64').toString('latin1');
    assert.match(details, /google\.rpc\.ErrorInfo/);
    assert.match(details, /DAPR_STATE_NOT_FOUND/);
    assert.equal(intercepted.at(-1), `GetState missing ${Code.InvalidArgument}`);
    const boom = await rawCall(session, envelope(getStateBytes('s', 'boom')), withToken());
    assert.equal(boom.status['grpc-status'], String(Code.Internal));
    assert.match(Buffer.from(String(boom.status['grpc-status-details-bin']), 'base64').toString('latin1'), /ERR_INTERNAL/);
  });

  it('leaves other content types to Connect (here the fallback: UNIMPLEMENTED)', async () => {
    const answer = await rawCall(session, envelope(Buffer.from('{}')), withToken({ 'content-type': 'application/grpc+json' }));
    assert.equal(answer.status['grpc-status'], String(Code.Unimplemented));
    const unknownEncoding = await rawCall(session, envelope(getStateBytes('s', 'k')), withToken({ 'grpc-encoding': 'snappy' }));
    assert.equal(unknownEncoding.status['grpc-status'], String(Code.Unimplemented));
  });

  it('at shutdown, aborts the signal of a call that waits for it and answers that call', async () => {
    let reached: () => void = () => undefined;
    const waiting = new Promise<void>((resolve) => (reached = resolve));
    const closing = serverOf({
      async getState(_request, context) {
        reached();
        await new Promise((resolve) => context.signal.addEventListener('abort', resolve, { once: true }));
        return {};
      },
    });
    const closingPort = await closing.listen(0, ['127.0.0.1']);
    const closingSession = connect(`http://127.0.0.1:${closingPort}`);
    try {
      const answer = rawCall(closingSession, envelope(getStateBytes('store', 'k')), withToken());
      await waiting;
      await closing.close();
      assert.equal((await answer).status['grpc-status'], String(Code.Canceled));
    } finally {
      closingSession.destroy();
      closing.closeAllConnections();
    }
  });
});
