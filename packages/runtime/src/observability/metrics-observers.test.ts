import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import type { Logger } from '@outrigger/kit';
import { httpApiLog } from './logging-api.js';
import { urlPath } from './metrics-grpc.js';
import { HttpClientWatch } from './metrics-http-client.js';
import type { ServedRequest } from './metrics-http-exchange.js';
import type { HttpExchange } from './sidecar-metrics.js';

function served(method: string, path: string, route: string, status = 200): ServedRequest {
  return { method, path, route, status, elapsedMs: 3.4, requestBytes: 0, responseBytes: 12, userAgent: 'test-agent' };
}

function capture(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = { info: (fields: Record<string, unknown>, msg: string) => lines.push({ ...fields, msg }) } as unknown as Logger;
  return { logger, lines };
}

describe('HTTP API log', () => {
  it('writes daprd\'s fields, the verb and path by default', () => {
    const { logger, lines } = capture();
    const log = httpApiLog({ enabled: true, obfuscateURLs: false, omitHealthChecks: false }, logger);
    log?.(served('GET', '/v1.0/state/store/order-1', '/v1.0/state/{storeName}/{key}'));
    log?.(served('GET', '/v1.0/healthz', '/v1.0/healthz', 204));
    assert.deepEqual(lines, [
      { method: 'GET /v1.0/state/store/order-1', useragent: 'test-agent', code: 200, size: 12, duration: 3, msg: 'HTTP API Called' },
      { method: 'GET /v1.0/healthz', useragent: 'test-agent', code: 204, size: 12, duration: 3, msg: 'HTTP API Called' },
    ]);
  });

  it('names daprd\'s endpoints with obfuscateURLs and skips health checks with omitHealthChecks', () => {
    const { logger, lines } = capture();
    const log = httpApiLog({ enabled: true, obfuscateURLs: true, omitHealthChecks: true }, logger);
    log?.(served('GET', '/v1.0/state/store/order-1', '/v1.0/state/{storeName}/{key}'));
    log?.(served('DELETE', '/v1.0/state/store/order-1', '/v1.0/state/{storeName}/{key}'));
    log?.(served('POST', '/v1.0/publish/pubsub/orders', '/v1.0/publish/{pubsubName}/*'));
    log?.(served('POST', '/v1.0/invoke/shop%2Dv2/method/cart/7', '/v1.0/invoke/{id}/method/{method}'));
    log?.(served('GET', '/v1.0/healthz', '/v1.0/healthz', 204));
    log?.(served('GET', '/v1.0/healthz/outbound', '/v1.0/healthz/outbound', 204));
    log?.(served('POST', '/v1.0-alpha1/lock/locks', '/v1.0-alpha1/lock/{storeName}'));
    assert.deepEqual(lines.map((line) => line.method), ['GetState', 'DeleteState', 'PublishEvent', 'InvokeService/shop-v2', 'TryLock']);
  });

  it('is absent when API logging is off', () => {
    assert.equal(httpApiLog({ enabled: false, obfuscateURLs: true, omitHealthChecks: true }, capture().logger), undefined);
  });
});

describe('HTTP client watch', () => {
  const publish = (name: string, message: object) => channel(name).publish(message);
  const request = (origin: string, path: string, headers: string[] | string, method = 'POST') => ({ origin, path, method, headers });
  const run = (request: object, status = 200) => {
    publish('undici:request:create', { request });
    publish('undici:request:bodyChunkSent', { request, chunk: Buffer.alloc(5) });
    publish('undici:request:headers', { request, response: { statusCode: status, headers: [], statusText: '' } });
    publish('undici:request:bodyChunkReceived', { request, chunk: Buffer.alloc(7) });
    publish('undici:request:trailers', { request, trailers: [] });
  };

  it('measures calls to the app and to other sidecars, not probes or other destinations', () => {
    const recorded: HttpExchange[] = [];
    const watch = new HttpClientWatch({ appOrigin: 'http://127.0.0.1:3000', appId: 'caller', probePaths: ['/healthz'], record: (exchange) => recorded.push(exchange) });
    watch.start();
    try {
      run(request('http://127.0.0.1:3000', '/orders/7?x=1', ['dapr-caller-app-id', 'someone']));
      run(request('http://127.0.0.1:3000', '/healthz', [], 'GET'));
      run(request('http://127.0.0.1:4100', '/cart', ['Dapr-Caller-App-Id', 'caller']), 404);
      run(request('http://127.0.0.1:4101', '/cart', 'dapr-caller-app-id: caller\r\n'));
      run(request('http://127.0.0.1:4102', '/cart', ['dapr-caller-app-id', 'other-app']));
      run(request('https://example.com', '/api', []));
    } finally {
      watch.stop();
    }
    run(request('http://127.0.0.1:3000', '/after-stop', []));
    assert.deepEqual(recorded.map(({ method, path, status, requestBytes, responseBytes }) => ({ method, path, status, requestBytes, responseBytes })), [
      { method: 'POST', path: '/orders/7', status: 200, requestBytes: 5, responseBytes: 7 },
      { method: 'POST', path: '/cart', status: 404, requestBytes: 5, responseBytes: 7 },
      { method: 'POST', path: '/cart', status: 200, requestBytes: 5, responseBytes: 7 },
    ]);
  });

  it('records no call that failed before an answer', () => {
    const recorded: HttpExchange[] = [];
    const watch = new HttpClientWatch({ appOrigin: 'http://127.0.0.1:3000', appId: 'caller', probePaths: [], record: (exchange) => recorded.push(exchange) });
    watch.start();
    const failed = request('http://127.0.0.1:3000', '/x', []);
    publish('undici:request:create', { request: failed });
    publish('undici:request:error', { request: failed, error: new Error('ECONNREFUSED') });
    watch.stop();
    assert.deepEqual(recorded, []);
  });
});

describe('urlPath', () => {
  it('takes the path of an absolute URL as URL does, without the query', () => {
    for (const url of ['http://127.0.0.1:50001/dapr.proto.runtime.v1.Dapr/GetState', 'https://[::1]:443/a/b?x=1', 'http://host', 'http://host/']) {
      assert.equal(urlPath(url), new URL(url).pathname, url);
    }
  });
});
