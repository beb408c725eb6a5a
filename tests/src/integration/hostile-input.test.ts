// Hundreds of malformed requests must neither crash the sidecar nor touch saved state.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { call } from '../harness/http.js';
import { startRun, tempDir, writeStateComponents, type SidecarHandle } from '../harness/sidecars.js';

/** Sends raw bytes over TCP and resolves when the server answers or closes. */
function sendRaw(port: number, bytes: Buffer | string, endAfterWrite = true): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    socket.setTimeout(2_000, () => socket.destroy());
    socket.on('data', (chunk) => { answer += chunk.toString('latin1'); });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(answer));
    socket.write(bytes, () => {
      if (endAfterWrite) socket.end();
      else socket.destroy();
    });
  });
}

const brokenBodies = [
  '', '{', '[', '[{', '[{"key":', 'null', 'true', '42', '"text"', '{}', '[null]', '[1,2,3]', '[[]]', '[{"key":1}]',
  '[{"key":"k","etag":5}]', '[{"key":"k","metadata":[]}]', '[{"key":"k","metadata":{"a":1}}]', '[{"key":"k","options":"x"}]',
  '[{"key":"k","options":{"concurrency":7}}]', '{"keys":"a"}', '{"keys":[1,2]}', '{"operations":{}}', '{"operations":[{"operation":1}]}',
  '{"operations":[{"operation":"upsert","request":"x"}]}', '{"operations":[{"operation":"upsert","request":{"value":1}}]}',
  '{"filter":{"EQ":1}}', '{"filter":{"NOPE":{}}}', '{"filter":{"AND":[]}}', '{"page":{"token":"x"}}', '\u0000\u0001\u0002', '[{"key":"\ud800"}]',
];

describe('hostile input', () => {
  const dir = tempDir();
  let sidecar: SidecarHandle;

  before(async () => {
    sidecar = await startRun({ appId: 'hostile', resourcesPath: writeStateComponents(dir.path), home: join(dir.path, 'home'), mode: 'sidecar' });
  });
  after(async () => {
    await sidecar?.stop();
    dir.cleanup();
  });

  it('survives hundreds of malformed requests with state intact and healthz 204', async () => {
    const base = sidecar.baseUrl;
    for (const store of ['statestore', 'memstore']) {
      assert.equal((await call('POST', `${base}/v1.0/state/${store}`, [{ key: 'canary', value: { safe: true } }])).status, 204);
    }
    const endpoints = ['/v1.0/state/statestore', '/v1.0/state/memstore', '/v1.0/state/statestore/bulk', '/v1.0/state/memstore/transaction',
      '/v1.0/state/statestore/transaction', '/v1.0-alpha1/state/statestore/query', '/v1.0/metadata/x', '/v1.0/state/missing'];
    let sent = 0;
    for (const endpoint of endpoints) {
      for (const body of brokenBodies) {
        const response = await call(endpoint.startsWith('/v1.0/metadata') ? 'PUT' : 'POST', `${base}${endpoint}`, body, { 'content-type': 'application/json' });
        sent++;
        assert.ok(response.status < 600 && response.status !== 0);
        if (response.status >= 400) {
          const parsed = response.json() as { errorCode?: string };
          assert.equal(typeof parsed.errorCode, 'string', `${endpoint} ${JSON.stringify(body)} → ${response.text}`);
        }
      }
      for (let round = 0; round < 10; round++) {
        await call('POST', `${base}${endpoint}`, randomBytes(64 + round * 100));
        sent++;
      }
    }
    for (const path of ['/v1.0/state/statestore/%E0%A4%A', '/v1.0/state/%ZZ/x', '/v1.0/state//k', '/v1.0/invoke/%/method/x', '/v1.0/state/statestore/' + 'k'.repeat(5000)]) {
      const response = await call('GET', `${base}${path}`);
      sent++;
      assert.ok(response.status >= 200 && response.status < 600, path);
    }
    const port = sidecar.httpPort;
    const rawRequests = [
      'GARBAGE\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', `GET /v1.0/metadata HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      'POST /v1.0/state/statestore HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n[{"key":"canary","value":',
      'POST /v1.0/state/statestore HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nxx\r\n',
      'POST /v1.0/state/statestore HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n', randomBytes(512).toString('latin1'),
    ];
    for (const raw of rawRequests) {
      await sendRaw(port, raw);
      await sendRaw(port, raw, false);
      sent += 2;
    }
    assert.ok(sent >= 300, `sent ${sent} malformed requests`);
    assert.equal((await call('GET', `${base}/v1.0/healthz`)).status, 204);
    for (const store of ['statestore', 'memstore']) {
      const canary = await call('GET', `${base}/v1.0/state/${store}/canary`);
      assert.equal(canary.status, 200);
      assert.deepEqual(canary.json(), { safe: true });
    }
    assert.ok(sidecar.process.running, 'sidecar still running');
  });
});
