import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forwardableHeaders } from './proxy-headers.js';

describe('forwardable headers', () => {
  it('keeps end-to-end headers, lowercasing names that are not lowercase yet', () => {
    assert.deepEqual(forwardableHeaders({ 'content-type': 'text/plain', 'X-Trace-Id': 'a', 'set-cookie': ['a=1', 'b=2'] }), {
      'content-type': 'text/plain', 'x-trace-id': 'a', 'set-cookie': ['a=1', 'b=2'],
    });
  });

  it('drops hop-by-hop headers whatever their case, and those the Connection header names', () => {
    const headers = { connection: 'X-Hop, keep-alive', 'x-hop': '1', 'Transfer-Encoding': 'chunked', 'keep-alive': 'timeout=5', host: 'h', te: 'trailers', expect: '100-continue', 'x-kept': '2' };
    assert.deepEqual(forwardableHeaders(headers), { 'x-kept': '2' });
  });

  it('drops the names asked for, and undefined values', () => {
    assert.deepEqual(forwardableHeaders({ 'dapr-api-token': 't', 'Dapr-App-Id': 'a', accept: undefined, 'x-ok': 'y' }, ['dapr-api-token', 'dapr-app-id']), { 'x-ok': 'y' });
  });
});
