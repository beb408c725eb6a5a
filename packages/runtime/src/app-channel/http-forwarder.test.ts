import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { Pool } from 'undici';
import { relayAnswer, smallBodyBytes, smallOrStreamedBody, StreamTooLargeError } from './http-forwarder.js';

/** Serves one request with `handler`, sends `send` to it, and resolves with the client's view of the answer. */
async function exchange(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  send: { method: string; headers?: Record<string, string>; body?: Buffer | Buffer[]; abortAfterFirstChunk?: boolean },
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer } | 'aborted'> {
  const server = createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(599).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise((resolve, reject) => {
      const outgoing = request({ host: '127.0.0.1', port, method: send.method, path: '/', headers: send.headers }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => resolve({ status: answer.statusCode ?? 0, headers: answer.headers, body: Buffer.concat(chunks) }));
      });
      outgoing.on('error', (error) => (send.abortAfterFirstChunk ? resolve('aborted') : reject(error)));
      const parts = send.body === undefined ? [] : Array.isArray(send.body) ? send.body : [send.body];
      if (send.abortAfterFirstChunk) {
        outgoing.write(parts[0]);
        setTimeout(() => outgoing.destroy(), 50);
        return;
      }
      for (const part of parts) outgoing.write(part);
      outgoing.end();
    });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('request bodies to forward', () => {
  it('reads a small body with a declared length whole, in order, over several chunks', async () => {
    let seen: unknown;
    const answer = await exchange(async (req, res) => {
      seen = await smallOrStreamedBody(req, 'POST', 1_000_000);
      res.end('ok');
    }, { method: 'POST', headers: { 'content-length': '6' }, body: [Buffer.from('abc'), Buffer.from('def')] });
    assert.notEqual(answer, 'aborted');
    assert.ok(Buffer.isBuffer(seen));
    assert.equal((seen as Buffer).toString(), 'abcdef');
  });

  it('streams a chunked body and one over the small size, and has none for GET or an empty body', async () => {
    const kinds: string[] = [];
    const kind = (body: unknown): string => (body === undefined ? 'none' : Buffer.isBuffer(body) ? 'buffer' : body instanceof Readable ? 'stream' : 'other');
    const consume = async (body: Buffer | Readable | undefined): Promise<void> => {
      if (body instanceof Readable) for await (const _ of body) { /* drain */ }
    };
    const record = (method: string) => async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      const body = await smallOrStreamedBody(req, method, 10_000_000);
      kinds.push(kind(body));
      await consume(body);
      res.end();
    };
    await exchange(record('POST'), { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, body: Buffer.from('x') });
    await exchange(record('POST'), { method: 'POST', headers: { 'content-length': String(smallBodyBytes + 1) }, body: Buffer.alloc(smallBodyBytes + 1) });
    await exchange(record('GET'), { method: 'GET', headers: { 'content-length': '3' }, body: Buffer.from('abc') });
    await exchange(record('POST'), { method: 'POST', headers: { 'content-length': '0' } });
    assert.deepEqual(kinds, ['stream', 'stream', 'none', 'none']);
  });

  it('refuses a declared length over the limit, even a small one', async () => {
    let failure: unknown;
    await exchange(async (req, res) => {
      failure = await smallOrStreamedBody(req, 'POST', 2).then(() => undefined, (error: unknown) => error);
      req.resume();
      res.end();
    }, { method: 'POST', headers: { 'content-length': '3' }, body: Buffer.from('abc') });
    assert.ok(failure instanceof StreamTooLargeError);
  });

  it('fails when the caller hangs up before the declared length arrived', async () => {
    let failure: unknown;
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => { done = resolve; });
    await exchange(async (req) => {
      failure = await smallOrStreamedBody(req, 'POST', 1_000).then(() => undefined, (error: unknown) => error);
      done();
    }, { method: 'POST', headers: { 'content-length': '10' }, body: [Buffer.from('abc')], abortAfterFirstChunk: true });
    await finished;
    assert.ok(failure instanceof Error);
  });
});

describe('relaying an answer', () => {
  it('passes status, headers and a small body, without hop-by-hop headers', async () => {
    const answer = await exchange(async (_req, res) => {
      await relayAnswer(201, { 'content-length': '5', 'x-app': 'yes', connection: 'x-hop', 'x-hop': 'this connection only' }, Readable.from([Buffer.from('he'), Buffer.from('llo')]), res, 1_000_000);
    }, { method: 'GET' });
    assert.notEqual(answer, 'aborted');
    if (answer === 'aborted') return;
    assert.deepEqual([answer.status, answer.headers['x-app'], answer.headers['x-hop'], answer.body.toString()], [201, 'yes', undefined, 'hello']);
  });

  it('streams a body without a declared length', async () => {
    const answer = await exchange(async (_req, res) => {
      await relayAnswer(200, { 'content-type': 'text/plain' }, Readable.from([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')]), res, 1_000_000);
    }, { method: 'GET' });
    assert.notEqual(answer, 'aborted');
    if (answer === 'aborted') return;
    assert.deepEqual([answer.status, answer.headers['transfer-encoding'], answer.body.toString()], [200, 'chunked', 'abc']);
  });

  it('fails before writing anything when a small body breaks', async () => {
    const broken = new Readable({ read() { this.destroy(new Error('the app went away')); } });
    const answer = await exchange(async (_req, res) => {
      await relayAnswer(200, { 'content-length': '5' }, broken, res, 1_000_000);
    }, { method: 'GET' });
    assert.notEqual(answer, 'aborted');
    if (answer === 'aborted') return;
    assert.equal(answer.status, 599);
    assert.match(answer.body.toString(), /the app went away/);
  });
});

describe('a request body the far side left unread', () => {
  /**
   * A server whose handler forwards the body to a reader that never reads (a far side that answered
   * early), answers at once, and a client on one keep-alive connection that uploads 1 MB, then asks again.
   */
  async function uploadThenAskAgain(limit: number): Promise<{ first: string; second: string; connections: number }> {
    const server = createServer((req, res) => {
      if (req.method === 'POST') req.pipe(new PassThrough({ highWaterMark: 16 }));
      void relayAnswer(200, { 'content-length': '2' }, Readable.from([Buffer.from('ok')]), res, limit);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { connections: 1, pipelining: 1 });
    let connections = 0;
    pool.on('connect', () => connections++);
    try {
      const first = await pool.request({ method: 'POST', path: '/', body: Buffer.alloc(1024 * 1024, 1) })
        .then(async (answer) => `${answer.statusCode} ${await answer.body.text()}`, (error: Error) => `failed: ${error.message}`);
      const answer = await pool.request({ method: 'GET', path: '/' });
      return { first, second: `${answer.statusCode} ${await answer.body.text()}`, connections };
    } finally {
      await pool.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  it('is read and dropped, so the next request on the same connection is answered', async () => {
    assert.deepEqual(await uploadThenAskAgain(4 * 1024 * 1024), { first: '200 ok', second: '200 ok', connections: 1 });
  });

  it('costs the caller its connection past the limit, and the next request gets a new one', async () => {
    const { second, connections } = await uploadThenAskAgain(64 * 1024);
    assert.equal(second, '200 ok');
    assert.equal(connections, 2);
  });
});
