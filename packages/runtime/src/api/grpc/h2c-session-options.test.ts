import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { h2cSessionOptions } from './h2c-session-options.js';

/** An h2c server on `host` that answers every request 200 with its path; a call through the options; the answer. */
async function callThrough(host: string): Promise<{ status: number; body: string }> {
  const server = createServer((req, res) => res.end(req.url));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const session = connect(origin, h2cSessionOptions(origin));
  try {
    return await new Promise((resolve, reject) => {
      const stream = session.request({ ':path': '/hello', ':method': 'GET' });
      let status = 0;
      const chunks: Buffer[] = [];
      stream.on('response', (headers) => { status = Number(headers[':status']); });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString() }));
      stream.on('error', reject);
      stream.end();
    });
  } finally {
    session.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('h2c session options', () => {
  it('open a connection that carries a call, on an IPv4 origin', async () => {
    assert.deepEqual(await callThrough('127.0.0.1'), { status: 200, body: '/hello' });
  });

  it('take an IPv6 origin, brackets and all', async (t) => {
    const reachable = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(0, '::1', () => probe.close(() => resolve(true)));
    });
    if (!reachable) {
      t.skip('no IPv6 loopback (::1) on this machine');
      return;
    }
    assert.deepEqual(await callThrough('::1'), { status: 200, body: '/hello' });
  });
});
