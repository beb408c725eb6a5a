import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { createLogger, daprError } from '@outrigger/kit';
import type { AppInvokeResponse } from '../../app-channel/app-channel.js';
import { FramedClient, FramedConnectionError, FramedUnsupportedError, type FramedAnswer, type FramedRequest } from './framed-client.js';
import { FramedServerSession, type FramedCallHandler } from './framed-server-session.js';
import { encodeFrame, FrameReader, FrameType, framedPreface, maxFramePayload } from './frames.js';

const logger = createLogger({ scope: 'test', level: 'silent' });
const servers: Server[] = [];
after(async () => {
  for (const server of servers) {
    await new Promise((resolve) => server.close(resolve));
  }
});

interface FramedServer {
  readonly address: string;
  readonly sessions: FramedServerSession[];
  readonly sockets: Socket[];
}

async function framedServer(handler: FramedCallHandler): Promise<FramedServer> {
  const sessions: FramedServerSession[] = [];
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    sessions.push(new FramedServerSession(socket, handler, logger));
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, sessions, sockets };
}

function answer(status: number, body: Buffer | Readable, headers: Record<string, string> = {}): AppInvokeResponse {
  const stream = Buffer.isBuffer(body) ? Readable.from([body]) : body;
  const length = Buffer.isBuffer(body) ? { 'content-length': String(body.length) } : {};
  return { status, headers: { 'content-type': 'application/octet-stream', ...length, ...headers }, body: stream };
}

const get = (pathAndQuery: string, body?: Buffer): FramedRequest => ({ verb: body ? 'POST' : 'GET', pathAndQuery, headers: { 'x-test': 'yes' }, body });

async function bodyOf(result: FramedAnswer): Promise<Buffer> {
  return Buffer.isBuffer(result.body) ? result.body : buffer(result.body);
}

describe('framed sidecar-to-sidecar protocol', () => {
  it('carries requests and answers, many at once on one connection, each answer to its own call', async () => {
    const server = await framedServer(async (request) => {
      // Answer out of order: later requests first.
      const index = Number(request.pathAndQuery.split('/')[2]);
      await new Promise((resolve) => setTimeout(resolve, (50 - index) % 7));
      return answer(200, Buffer.concat([Buffer.from(`${request.verb} ${request.pathAndQuery} ${String(request.headers['x-test'])} `), request.body ?? Buffer.alloc(0)]));
    });
    const client = new FramedClient();
    const results = await Promise.all(Array.from({ length: 50 }, (_, index) => client.request(server.address, get(`/echo/${index}?q=1`, Buffer.from(`body-${index}`)))));
    for (const [index, result] of results.entries()) {
      assert.equal(result.status, 200);
      assert.equal(result.headers['content-type'], 'application/octet-stream');
      assert.equal((await bodyOf(result)).toString(), `POST /echo/${index}?q=1 yes body-${index}`);
    }
    assert.equal(server.sockets.length, 1, 'one connection for all calls');
    client.close();
  });

  it('keeps text outside ASCII in heads intact', async () => {
    const server = await framedServer(async (request) => answer(200, Buffer.from(String(request.headers['x-name'])), { 'x-echo': request.pathAndQuery }));
    const client = new FramedClient();
    const result = await client.request(server.address, { verb: 'GET', pathAndQuery: '/grüße/✓?q=é', headers: { 'x-name': 'zoë ✓ 名前' }, body: undefined });
    assert.equal((await bodyOf(result)).toString('utf8'), 'zoë ✓ 名前');
    assert.equal(result.headers['x-echo'], '/grüße/✓?q=é');
    client.close();
  });

  it('streams a long answer as data frames and paces the sender to a slow reader', async () => {
    const chunk = Buffer.alloc(64 * 1024, 7);
    const total = 200;
    let sent = 0;
    const source = new Readable({
      read() {
        this.push(sent++ < total ? chunk : null);
      },
    });
    const server = await framedServer(async () => answer(200, source));
    const client = new FramedClient();
    const result = await client.request(server.address, get('/big'));
    assert.ok(!Buffer.isBuffer(result.body), 'a long answer comes as a stream');
    // Not reading: the sender must stop well short of the whole body (paused by the reader's pace).
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(sent < total, `the sender was paused (it produced ${sent} of ${total} chunks)`);
    const received = await buffer(result.body);
    assert.equal(received.length, chunk.length * total);
    assert.ok(received.every((byte) => byte === 7));
    client.close();
  });

  it('answers a DaprError from the handler with its status and JSON body', async () => {
    const refusal = daprError('shuttingDown');
    const server = await framedServer(async () => {
      throw refusal;
    });
    const client = new FramedClient();
    const result = await client.request(server.address, get('/x'));
    const body = JSON.parse((await bodyOf(result)).toString()) as { errorCode: string; message: string };
    assert.equal(result.status, refusal.httpStatus);
    assert.equal(result.headers['content-type'], 'application/json');
    assert.deepEqual(body, JSON.parse(JSON.stringify(refusal)));
    client.close();
  });

  it('answers a handler that throws at once, and the connection goes on', async () => {
    const server = await framedServer((request) => {
      if (request.pathAndQuery === '/refused') throw daprError('shuttingDown');
      return Promise.resolve(answer(200, Buffer.from('fine')));
    });
    const client = new FramedClient();
    const refused = await client.request(server.address, get('/refused'));
    assert.equal(refused.status, daprError('shuttingDown').httpStatus);
    assert.equal((await bodyOf(await client.request(server.address, get('/fine')))).toString(), 'fine');
    assert.equal(server.sockets.length, 1, 'the same connection served both');
    client.close();
  });

  it('cancels the call on the other side when the caller aborts: a late answer is dropped, a streaming one stopped', async () => {
    let answerLate: ((response: AppInvokeResponse) => void) | undefined;
    const streaming = new Readable({ read: () => undefined });
    const server = await framedServer((request) => request.pathAndQuery === '/late'
      ? new Promise((resolve) => (answerLate = resolve))
      : Promise.resolve(answer(200, streaming)));
    const client = new FramedClient();
    const controller = new AbortController();
    const late = client.request(server.address, get('/late'), controller.signal);
    while (!answerLate) await new Promise((resolve) => setImmediate(resolve));
    controller.abort(new Error('caller gone'));
    await assert.rejects(late, /caller gone/);
    const lateBody = new Readable({ read: () => undefined });
    answerLate(answer(200, lateBody));
    await once(lateBody, 'close');

    const call = client.start(server.address, get('/streaming'));
    streaming.push('first part');
    const result = await call.answer;
    assert.ok(!Buffer.isBuffer(result.body));
    call.cancel(new Error('caller gone'));
    await once(streaming, 'close');
    assert.equal(streaming.destroyed, true, 'the app\'s answer was let go');
    // The connection still works for the next call.
    assert.equal(client.supports(server.address), true);
    client.close();
  });

  it('fails the calls in flight when the connection breaks', async () => {
    const server = await framedServer(() => new Promise(() => undefined));
    const client = new FramedClient();
    const pending = client.request(server.address, get('/never'));
    while (server.sockets.length === 0) await new Promise((resolve) => setImmediate(resolve));
    server.sockets[0]?.destroy();
    await assert.rejects(pending, FramedConnectionError);
  });

  it('stops sending new calls on a connection after go-away, and finishes the calls in flight', async () => {
    let release: (() => void) | undefined;
    const server = await framedServer((request) => request.pathAndQuery === '/held'
      ? new Promise((resolve) => (release = () => resolve(answer(200, Buffer.from('late')))))
      : Promise.resolve(answer(200, Buffer.from('ok'))));
    const client = new FramedClient();
    const held = client.request(server.address, get('/held'));
    while (!release) await new Promise((resolve) => setImmediate(resolve));
    server.sessions[0]?.goAway();
    await new Promise((resolve) => setTimeout(resolve, 20));
    release();
    assert.equal((await bodyOf(await held)).toString(), 'late');
    const next = await client.request(server.address, get('/after'));
    assert.equal((await bodyOf(next)).toString(), 'ok');
    assert.equal(server.sockets.length, 2, 'the call after go-away opened a new connection');
    client.close();
  });

  it('says a peer that answers as an HTTP server does not speak the protocol, and remembers it', async () => {
    const http = createHttpServer((_req, res) => res.end('http'));
    servers.push(http as unknown as Server);
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    const address = `127.0.0.1:${(http.address() as AddressInfo).port}`;
    const client = new FramedClient();
    await assert.rejects(client.request(address, get('/x')), FramedUnsupportedError);
    assert.equal(client.supports(address), false);
  });

  it('resets a malformed request frame without breaking the connection', async () => {
    const server = await framedServer(async () => answer(200, Buffer.from('fine')));
    const socket = connect({ host: '127.0.0.1', port: Number(server.address.split(':')[1]) });
    const reader = new FrameReader();
    const frames: { type: number; stream: number; payload: string }[] = [];
    let prefaceLeft = framedPreface.length;
    socket.on('data', (chunk: Buffer) => {
      const skip = Math.min(prefaceLeft, chunk.length);
      prefaceLeft -= skip;
      for (const frame of reader.push(chunk.subarray(skip))) frames.push({ type: frame.type, stream: frame.stream, payload: frame.payload.toString() });
    });
    socket.write(framedPreface);
    socket.write(encodeFrame(FrameType.request, 1, 0, { not: 'an array' }));
    socket.write(encodeFrame(FrameType.request, 3, 0, ['GET', '/ok', {}]));
    while (frames.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    const reset = frames.find((frame) => frame.stream === 1);
    assert.equal(reset?.type, FrameType.reset);
    assert.match(reset?.payload ?? '', /malformed request frame/);
    assert.equal(frames.find((frame) => frame.stream === 3)?.type, FrameType.response);
    socket.destroy();
  });

  it('drops a connection that announces a frame over the size limit', async () => {
    const server = await framedServer(async () => answer(200, Buffer.from('fine')));
    const socket = connect({ host: '127.0.0.1', port: Number(server.address.split(':')[1]) });
    socket.on('error', () => undefined);
    socket.resume();
    const header = Buffer.alloc(10);
    header.writeUInt32BE(maxFramePayload + 1, 0);
    header[4] = FrameType.request;
    socket.write(Buffer.concat([framedPreface, header]));
    await once(socket, 'close');
  });

  it('cuts a byte stream into frames whatever the chunking', () => {
    const frames = Buffer.concat([encodeFrame(FrameType.data, 5, 1, undefined, Buffer.from('hello')), encodeFrame(FrameType.pause, 7, 0)]);
    const reader = new FrameReader();
    const seen = [];
    for (let at = 0; at < frames.length; at += 3) seen.push(...reader.push(frames.subarray(at, at + 3)));
    assert.deepEqual(seen.map((frame) => [frame.type, frame.flags, frame.stream, frame.payload.toString()]), [[FrameType.data, 1, 5, 'hello'], [FrameType.pause, 0, 7, '']]);
  });

  it('joins a large frame that arrives in many chunks, with the next frame\'s start in its last chunk', () => {
    const big = Buffer.alloc(300_000, 9);
    const bytes = Buffer.concat([encodeFrame(FrameType.data, 1, 0, undefined, big), encodeFrame(FrameType.data, 3, 1, undefined, Buffer.from('tail'))]);
    const reader = new FrameReader();
    const seen = [];
    for (let at = 0; at < bytes.length; at += 65_536) seen.push(...reader.push(bytes.subarray(at, at + 65_536)));
    assert.deepEqual(seen.map((frame) => [frame.stream, frame.payload.length]), [[1, big.length], [3, 4]]);
    assert.ok(seen[0]?.payload.equals(big));
  });
});
