import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CountedResponse } from './counted-response.js';

describe('CountedResponse', () => {
  it('counts the body bytes written by write and end, strings in their encoding, and nothing for headers', async () => {
    let counted: number | undefined;
    const server = createServer({ ServerResponse: CountedResponse }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('héllo ');
      res.write(Buffer.from('wörld'));
      res.write('6869', 'hex');
      res.end(' ✓', () => {
        counted = res.bodyBytes;
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const answer = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      const body = Buffer.from(await answer.arrayBuffer());
      while (counted === undefined) await new Promise((resolve) => setImmediate(resolve));
      assert.equal(counted, body.length);
      assert.equal(body.toString('utf8'), 'héllo wörldhi ✓');
    } finally {
      server.close();
    }
  });
});
