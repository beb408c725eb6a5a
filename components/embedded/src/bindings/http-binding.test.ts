import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BindingInvokeError } from '@outrigger/components-api';
import { testContext } from '../testing/context.js';
import { HttpBinding, parseByteSize } from './http-binding.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const bytes = (value: string) => new Uint8Array(Buffer.from(value, 'utf8'));

describe('bindings.http', () => {
  let server: Server;
  let baseUrl: string;
  const seen: Seen[] = [];
  const bindings: HttpBinding[] = [];

  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (req.url === '/status/418') {
          res.writeHead(418, { 'x-reason': 'teapot' });
          res.end('short and stout');
        } else if (req.url === '/empty') {
          res.writeHead(204);
          res.end();
        } else if (req.url === '/big') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('x'.repeat(10_000));
        } else if (req.url === '/never') {
          res.writeHead(200);
          res.write('partial');
          // Never ends: the binding's responseTimeout must give up.
        } else {
          res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] });
          res.end(JSON.stringify({ echo: req.method }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await Promise.all(bindings.map((binding) => binding.close()));
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function binding(metadata: Record<string, string>): Promise<HttpBinding> {
    const created = new HttpBinding();
    await created.init(testContext(metadata));
    bindings.push(created);
    return created;
  }

  it('maps create to POST, sends the data as the body and answers with the body, status and headers', async () => {
    const http = await binding({ url: `${baseUrl}/api/` });
    const response = await http.invoke({ operation: 'create', data: bytes('{"a":1}'), metadata: { path: '/orders' } });
    const request = seen.at(-1) as Seen;
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/api/orders');
    assert.equal(request.body, '{"a":1}');
    assert.equal(request.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(request.headers.accept, 'application/json; charset=utf-8');
    assert.equal(Buffer.from(response.data ?? []).toString(), '{"echo":"POST"}');
    assert.equal(response.metadata?.statusCode, '200');
    assert.equal(response.metadata?.status, '200 OK');
    assert.equal(response.metadata?.['Content-Type'], 'application/json');
    assert.equal(response.metadata?.['Set-Cookie'], 'a=1, b=2');
  });

  it('uses every method Dapr lists, sending a body only for post, put and patch', async () => {
    const http = await binding({ url: baseUrl });
    assert.deepEqual([...http.operations()], ['create', 'get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace']);
    for (const operation of ['get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace']) {
      await http.invoke({ operation, data: bytes('"body"'), metadata: {} });
      const request = seen.at(-1) as Seen;
      assert.equal(request.method, operation.toUpperCase());
      assert.equal(request.body, ['post', 'put', 'patch'].includes(operation) ? '"body"' : '', operation);
    }
    await assert.rejects(http.invoke({ operation: 'connect', data: bytes(''), metadata: {} }), /invalid operation: connect/);
  });

  it('sends metadata keys that start with a capital letter as headers, plus the trace headers and the security token', async () => {
    const http = await binding({ url: baseUrl, securityToken: 's3cret', securityTokenHeader: 'X-Token' });
    await http.invoke({
      operation: 'get', data: bytes(''),
      metadata: { 'X-Custom': 'yes', lowercase: 'no', Accept: 'text/plain', 'Content-Length': '999', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });
    const { headers } = seen.at(-1) as Seen;
    assert.equal(headers['x-custom'], 'yes');
    assert.equal(headers.lowercase, undefined);
    assert.equal(headers.accept, 'text/plain');
    assert.equal(headers['x-token'], 's3cret');
    assert.equal(headers.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  });

  it('fails on a non-2xx answer with the response metadata attached, unless errorIfNot2XX is false', async () => {
    const http = await binding({ url: baseUrl });
    const failure = await http.invoke({ operation: 'get', data: bytes(''), metadata: { path: 'status/418' } }).then(
      () => assert.fail('expected an error'), (error: unknown) => error);
    assert.ok(failure instanceof BindingInvokeError);
    assert.equal(failure.message, 'received status code 418');
    assert.equal(failure.metadata.statusCode, '418');
    assert.equal(failure.metadata['X-Reason'], 'teapot');
    const tolerated = await http.invoke({ operation: 'get', data: bytes(''), metadata: { path: 'status/418', errorIfNot2XX: 'false' } });
    assert.equal(Buffer.from(tolerated.data ?? []).toString(), 'short and stout');
    const lenient = await binding({ url: baseUrl, errorIfNot2XX: 'false' });
    assert.equal((await lenient.invoke({ operation: 'get', data: bytes(''), metadata: { path: 'status/418' } })).metadata?.statusCode, '418');
  });

  it('answers an empty body as empty data (the API then still answers 200, as daprd)', async () => {
    const http = await binding({ url: baseUrl });
    const response = await http.invoke({ operation: 'delete', data: bytes(''), metadata: { path: 'empty' } });
    assert.equal(response.data?.byteLength, 0);
    assert.equal(response.metadata?.statusCode, '204');
  });

  it('cuts the body at maxResponseBodySize and gives up after responseTimeout', async () => {
    const small = await binding({ url: baseUrl, maxResponseBodySize: '1Ki' });
    assert.equal((await small.invoke({ operation: 'get', data: bytes(''), metadata: { path: 'big' } })).data?.byteLength, 1024);
    const impatient = await binding({ url: baseUrl, responseTimeout: '200ms' });
    await assert.rejects(impatient.invoke({ operation: 'get', data: bytes(''), metadata: { path: 'never' } }), /within 200 ms \(responseTimeout\)/);
  });

  it('refuses a url that is not absolute and reads sizes written as quantities', async () => {
    await assert.rejects(new HttpBinding().init(testContext({ url: 'not a url' })), /not an absolute URL/);
    assert.equal(parseByteSize('100Mi'), 100 * 1024 * 1024);
    assert.equal(parseByteSize('2048'), 2048);
    assert.throws(() => parseByteSize('lots'), /not a size/);
  });
});
