import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, constants, createServer, type ClientHttp2Session, type Http2Server, type Http2ServerRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createLogger, waitFor } from '@outrigger/kit';
import type { LocalRegistry } from '../../nameresolution/local-registry.js';
import { GrpcProxy } from './grpc-proxy.js';

// The proxy's data path between raw HTTP/2 streams: a node:http2 "app" behind it, a sidecar's internal
// server in front of it (calls handed over as compat objects, as InternalServer does), a raw client.

type AppHandler = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => void;

const grpcHeaders = { ':status': 200, 'content-type': 'application/grpc' };

/** Reads a stream whole. */
function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

async function listen(server: Http2Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as AddressInfo).port;
}

interface Answer { headers: IncomingHttpHeaders; endedWithHeaders: boolean; body: Buffer; trailers: IncomingHttpHeaders | undefined; rstCode: number | undefined }

describe('gRPC proxy data path', () => {
  const appHandlers = new Map<string, AppHandler>();
  /** What the front server's handler does before handing the call to the proxy, by path. */
  const beforeProxy = new Map<string, (req: Http2ServerRequest) => Promise<void>>();
  /** Whether the compat request had emitted its end when the answer's trailers were due, by path (the gRPC API server asks). */
  const requestEndedAtTrailers = new Map<string, boolean>();
  let app: Http2Server;
  let front: Http2Server;
  let proxy: GrpcProxy;
  let client: ClientHttp2Session;

  before(async () => {
    app = createServer();
    app.on('stream', (stream, headers) => appHandlers.get(String(headers[':path']))?.(stream, headers));
    const appPort = await listen(app);
    proxy = new GrpcProxy({
      appId: 'app', namespace: 'default', registry: {} as LocalRegistry, app: { address: '127.0.0.1', port: appPort },
      appApiToken: undefined, logger: createLogger({ scope: 'test', level: 'silent' }),
    });
    front = createServer((req, res) => {
      res.stream.once('wantTrailers', () => requestEndedAtTrailers.set(req.url, req.readableEnded));
      const prepare = beforeProxy.get(req.url);
      if (prepare) void prepare(req).then(() => proxy.fromSidecar(req, res));
      else proxy.fromSidecar(req, res);
    });
    client = connect(`http://127.0.0.1:${await listen(front)}`);
  });

  after(async () => {
    client.close();
    proxy.close();
    await Promise.all([app, front].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  });

  /** Calls `path` through the proxy with `body` (written in pieces of `piece` bytes) and reads the whole answer. */
  function call(path: string, body: Buffer, piece = 16_384, headers: OutgoingHttpHeaders = {}): Promise<Answer> {
    const stream = client.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', ...headers });
    const answer = new Promise<Answer>((resolve, reject) => {
      const result: Answer = { headers: {}, endedWithHeaders: false, body: Buffer.alloc(0), trailers: undefined, rstCode: undefined };
      stream.once('response', (responseHeaders, flags) => {
        result.headers = responseHeaders;
        result.endedWithHeaders = (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0;
      });
      stream.once('trailers', (trailers) => { result.trailers = trailers; });
      stream.on('error', () => undefined);
      collect(stream).then((received) => { result.body = received; }, reject);
      stream.once('close', () => {
        result.rstCode = stream.rstCode;
        resolve(result);
      });
    });
    void (async () => {
      for (let offset = 0; offset < body.length; offset += piece) {
        if (!stream.write(body.subarray(offset, offset + piece))) await new Promise((resolve) => stream.once('drain', resolve));
      }
      stream.end();
    })();
    return answer;
  }

  /** An app method that answers with the request body, reversed, once the request has ended; then a trailer with its length. */
  function echoReversed(stream: ServerHttp2Stream): void {
    void collect(stream).then((received) => {
      stream.respond(grpcHeaders, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'x-length': String(received.length) }));
      stream.end(Buffer.from(received).reverse());
    });
  }

  it('carries bodies far over the flow-control windows both ways, whole, and the trailers', async () => {
    appHandlers.set('/big', echoReversed);
    const body = Buffer.alloc(6 * 1024 * 1024);
    for (let index = 0; index < body.length; index++) body[index] = (index * 31) % 251;
    const answer = await call('/big', body, 65_536);
    assert.equal(answer.headers[':status'], 200);
    assert.equal(answer.body.length, body.length);
    assert.ok(answer.body.equals(Buffer.from(body).reverse()));
    assert.equal(answer.trailers?.['grpc-status'], '0');
    assert.equal(answer.trailers?.['x-length'], String(body.length));
    assert.equal(proxy.inFlight, 0);
  });

  it('passes a request stream on piece by piece and ends it with the caller\'s end, which the compat request then reports', async () => {
    const seen: string[] = [];
    appHandlers.set('/client-stream', (stream) => {
      stream.on('data', (chunk: Buffer) => seen.push(chunk.toString()));
      stream.once('end', () => {
        stream.respond(grpcHeaders, { waitForTrailers: true });
        stream.once('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(seen.join('+'));
      });
    });
    const stream = client.request({ ':method': 'POST', ':path': '/client-stream', 'content-type': 'application/grpc' });
    const answered = collect(stream);
    for (const word of ['one', 'two', 'three']) {
      stream.write(word);
      const count = seen.length;
      await waitFor(`the app to get "${word}"`, () => seen.length > count, 5_000);
    }
    stream.end();
    assert.equal((await answered).toString(), 'one+two+three');
    // The gRPC API server resets a call whose caller has not finished sending when the trailers go (endCall).
    assert.equal(requestEndedAtTrailers.get('/client-stream'), true);
  });

  it('passes on a body the compat request had started to read before the proxy got the call', async () => {
    appHandlers.set('/read-first', echoReversed);
    beforeProxy.set('/read-first', (req) => new Promise((resolve) => req.once('readable', () => resolve())));
    const body = Buffer.from('abcdefghij'.repeat(10_000));
    const answer = await call('/read-first', body, 1_000);
    assert.equal(answer.body.toString(), Buffer.from(body).reverse().toString());
    assert.equal(answer.trailers?.['x-length'], String(body.length));
  });

  it('passes a trailers-only answer on as one HEADERS frame that ends the stream', async () => {
    appHandlers.set('/fail', (stream) => {
      stream.resume();
      stream.respond({ ...grpcHeaders, 'grpc-status': '9', 'grpc-message': 'not today', 'x-why': 'because' }, { endStream: true });
    });
    const answer = await call('/fail', Buffer.from('x'));
    assert.equal(answer.endedWithHeaders, true);
    assert.equal(answer.headers['grpc-status'], '9');
    assert.equal(answer.headers['grpc-message'], 'not today');
    assert.equal(answer.headers['x-why'], 'because');
    assert.equal(answer.body.length, 0);
  });

  it('passes on a reset the app sends after it has started answering, not a clean end', async () => {
    appHandlers.set('/broken', (stream) => {
      stream.resume();
      stream.on('error', () => undefined);
      // Held for trailers, so the reset is the first end the stream gets (node's close() on a stream still
      // open for writing ends it cleanly first, and a reset after that end means nothing in HTTP/2).
      stream.respond(grpcHeaders, { waitForTrailers: true });
      stream.once('wantTrailers', () => stream.close(constants.NGHTTP2_INTERNAL_ERROR));
      stream.end('partial');
    });
    const answer = await call('/broken', Buffer.from('x'));
    assert.equal(answer.trailers, undefined, 'no trailers: the call did not end well');
    assert.equal(answer.rstCode, constants.NGHTTP2_INTERNAL_ERROR);
  });

  it('counts the call in flight until it ends, and cancels it at the app when the caller resets it', async () => {
    let appStream: ServerHttp2Stream | undefined;
    appHandlers.set('/hold', (stream) => {
      appStream = stream;
      stream.resume();
      stream.respond(grpcHeaders);
      stream.write('held');
    });
    const stream = client.request({ ':method': 'POST', ':path': '/hold', 'content-type': 'application/grpc' });
    stream.on('error', () => undefined);
    await new Promise((resolve) => stream.once('data', resolve));
    assert.equal(proxy.inFlight, 1);
    stream.close(constants.NGHTTP2_CANCEL);
    await waitFor('the app to see the call reset', () => appStream?.closed === true, 5_000);
    assert.equal(appStream?.rstCode, constants.NGHTTP2_CANCEL);
    await waitFor('the call to leave the count', () => proxy.inFlight === 0, 5_000);
  });
});
