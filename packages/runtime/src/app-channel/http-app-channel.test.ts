import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { waitFor } from '@outrigger/kit';
import { wholeBody } from './app-channel.js';
import { HttpAppChannel } from './http-app-channel.js';
import { smallBodyBytes } from './http-forwarder.js';

type Route = (req: IncomingMessage, res: ServerResponse) => void;

/** Invocations of an HTTP app: small answers come back whole, others stream with the connection paused behind the reader. */
describe('HttpAppChannel.invokeMethod', () => {
  const routes = new Map<string, Route>();
  let server: Server;
  let channel: HttpAppChannel;

  before(async () => {
    server = createServer((req, res) => {
      const route = routes.get(req.url ?? '');
      if (route) route(req, res);
      else res.writeHead(404).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    channel = new HttpAppChannel({ address: '127.0.0.1', port: (server.address() as AddressInfo).port, maxConcurrency: -1, appApiToken: 'token', maxBodyBytes: 4 << 20 });
  });

  after(async () => {
    await channel.close();
    server.closeAllConnections();
    server.close();
  });

  const invoke = (path: string, options: { body?: string; signal?: AbortSignal } = {}) => channel.invokeMethod({
    verb: 'POST', path, query: 'q=1', headers: { 'content-type': 'text/plain' }, body: options.body,
    identity: { callerAppId: 'caller', calleeAppId: 'callee', callerNamespace: '' },
    ...(options.signal ? { signal: options.signal } : {}),
  });

  it('hands a small answer with a declared length back whole, with the app\'s status and headers', async () => {
    let seen: IncomingMessage | undefined;
    routes.set('/small?q=1', (req, res) => {
      seen = req;
      req.resume();
      res.writeHead(201, { 'x-app': 'yes', 'set-cookie': ['a=1', 'b=2'], 'content-length': '7' }).end('created');
    });
    const answer = await invoke('/small', { body: 'hello' });
    assert.ok(Buffer.isBuffer(answer.body), 'the body is read whole');
    assert.equal(answer.body.toString(), 'created');
    assert.equal(answer.status, 201);
    assert.equal(answer.headers['x-app'], 'yes');
    assert.deepEqual(answer.headers['set-cookie'], ['a=1', 'b=2']);
    assert.equal(seen?.headers['dapr-caller-app-id'], 'caller');
    assert.equal(seen?.headers['dapr-api-token'], 'token');
    assert.equal(channel.inFlight, 0);
  });

  it('skips informational answers and hands over the final one', async () => {
    routes.set('/hints?q=1', (req, res) => {
      req.resume();
      res.writeEarlyHints({ link: '</style.css>; rel=preload' });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('final');
    });
    const answer = await invoke('/hints');
    assert.equal(answer.status, 200);
    assert.equal((await wholeBody(answer.body)).toString(), 'final');
  });

  it('streams an answer without a declared length, counted in flight until its body ends', async () => {
    let finish: (() => void) | undefined;
    routes.set('/chunked?q=1', (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first,');
      finish = () => res.end('last');
    });
    const answer = await invoke('/chunked');
    assert.ok(answer.body instanceof Readable, 'the body streams');
    assert.equal(channel.inFlight, 1, 'the call holds its place while the body streams');
    const [first] = await once(answer.body, 'data') as [Buffer];
    assert.equal(first.toString(), 'first,');
    finish?.();
    const rest = await wholeBody(answer.body);
    assert.equal(rest.toString(), 'last');
    await waitFor('no call in flight', () => channel.inFlight === 0, 5_000, 5);
  });

  it('pauses the app\'s connection while a big answer is not read, then delivers every byte', async () => {
    const size = 16 << 20;
    let appBackedUp: Promise<unknown> | undefined;
    routes.set('/big?q=1', (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': String(size) });
      const chunk = Buffer.alloc(256 * 1024, 7);
      let sent = 0;
      const pump = () => {
        while (sent < size) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            appBackedUp ??= Promise.resolve();
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    const answer = await invoke('/big');
    assert.ok(answer.body instanceof Readable, 'an answer over the small-body size streams');
    assert.ok(size > smallBodyBytes);
    await waitFor('the app backed up', () => appBackedUp !== undefined && answer.body instanceof Readable && answer.body.readableLength > 0, 5_000, 5);
    // Nothing reads yet: what is held on this side stays near one stream buffer, not the whole answer.
    assert.ok((answer.body as Readable).readableLength < 1 << 20, `held ${(answer.body as Readable).readableLength} bytes unread`);
    const bytes = await wholeBody(answer.body);
    assert.equal(bytes.length, size);
    await waitFor('no call in flight', () => channel.inFlight === 0, 5_000, 5);
  });

  it('aborts the call when its streamed body is destroyed before the end', async () => {
    let appSawClose: Promise<unknown> | undefined;
    routes.set('/abandoned?q=1', (req, res) => {
      req.resume();
      appSawClose = once(res, 'close');
      res.writeHead(200);
      res.write('partial');
    });
    const answer = await invoke('/abandoned');
    assert.ok(answer.body instanceof Readable);
    await once(answer.body, 'data');
    answer.body.destroy();
    await appSawClose;
    await waitFor('no call in flight', () => channel.inFlight === 0, 5_000, 5);
  });

  it('rejects when the signal aborts before the app answers, and ends the app\'s request', async () => {
    let appSawClose: Promise<unknown> | undefined;
    let reached: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => { reached = resolve; });
    routes.set('/slow?q=1', (req, res) => {
      req.resume();
      appSawClose = once(res, 'close');
      reached();
    });
    const controller = new AbortController();
    const answering = invoke('/slow', { signal: controller.signal });
    await arrived;
    controller.abort(new Error('caller went away'));
    await assert.rejects(answering, /caller went away/);
    await appSawClose;
    assert.equal(channel.inFlight, 0);
  });

  it('fails the streamed body when the app breaks off mid-answer', async () => {
    routes.set('/broken?q=1', (req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': String(1 << 20) });
      res.write('some', () => res.destroy());
    });
    const answer = await invoke('/broken');
    assert.ok(answer.body instanceof Readable);
    await assert.rejects(wholeBody(answer.body));
    await waitFor('no call in flight', () => channel.inFlight === 0, 5_000, 5);
  });

  it('refuses an answer that upgrades the connection, and frees its place', async () => {
    server.once('connect', (_req, socket) => socket.end('HTTP/1.1 200 Connection Established\r\n\r\n'));
    await assert.rejects(channel.invokeMethod({ verb: 'CONNECT', path: '/tunnel', query: undefined, headers: {}, body: undefined }), /upgrade/);
    assert.equal(channel.inFlight, 0);
  });

  it('cuts a streamed answer its reader has not finished when the signal aborts after the app\'s last byte', async () => {
    routes.set('/unread?q=1', (req, res) => {
      req.resume();
      res.writeHead(200);
      res.end('all of it');
    });
    const controller = new AbortController();
    const answer = await invoke('/unread', { signal: controller.signal });
    assert.ok(answer.body instanceof Readable);
    await waitFor('the whole answer received, none of it read', () => answer.body instanceof Readable && answer.body.readableLength === 'all of it'.length, 5_000, 5);
    controller.abort(new Error('caller went away'));
    await assert.rejects(wholeBody(answer.body), /caller went away/);
    await waitFor('no call in flight', () => channel.inFlight === 0, 5_000, 5);
  });

  it('rejects when the app cannot be reached, and stops a request body that streams', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const unreachable = new HttpAppChannel({ address: '127.0.0.1', port, maxConcurrency: -1, appApiToken: undefined, maxBodyBytes: 1 << 20 });
    const body = new Readable({ read() {} });
    await assert.rejects(unreachable.invokeMethod({ verb: 'POST', path: '/', query: undefined, headers: {}, body }), /ECONNREFUSED/);
    assert.ok(body.destroyed, 'the request body is destroyed');
    assert.equal(unreachable.inFlight, 0);
    await unreachable.close();
  });
});
