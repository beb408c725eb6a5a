import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildEnvelope, newTraceparent } from './cloud-event.js';

describe('newTraceparent', () => {
  it('gives well-formed, distinct W3C traceparents, also across refills of its random bytes', () => {
    const seen = new Set<string>();
    for (let index = 0; index < 1_000; index++) {
      const traceparent = newTraceparent();
      assert.match(traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      seen.add(traceparent);
    }
    assert.equal(seen.size, 1_000);
  });

  it('is what a publish without a caller trace gets as traceparent and traceid', () => {
    const envelope = buildEnvelope({
      appId: 'app', pubsubName: 'pubsub', topic: 'orders', contentType: 'application/json', body: Buffer.from('{"a":1}'),
      metadata: {}, traceparent: undefined, tracestate: undefined, ttlInEnvelope: false,
    });
    assert.match(String(envelope.traceparent), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.equal(envelope.traceid, envelope.traceparent);
  });
});
