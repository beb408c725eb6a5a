import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { maxRequestsPerSecond, rateLimitLink } from './ratelimit.js';
import { RecordingExchange, runLink } from './test-exchange.js';

/** A clock the test moves by hand. */
function manualClock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => { now += ms; } };
}

async function call(link: ReturnType<typeof rateLimitLink>, exchange = new RecordingExchange()) {
  await runLink(link, exchange);
  return exchange;
}

describe('middleware.http.ratelimit', () => {
  it('lets a burst of maxRequestsPerSecond through, then answers 429 in plain text', async () => {
    const clock = manualClock();
    const link = rateLimitLink(3, clock.now);
    for (let i = 0; i < 3; i++) assert.equal((await call(link)).reached, true, `request ${i} passes`);
    const refused = await call(link);
    assert.equal(refused.reached, false);
    assert.equal(refused.reply?.status, 429);
    assert.equal(refused.reply?.body, 'You have reached maximum request limit.');
    assert.equal(refused.reply?.headers?.['content-type'], 'text/plain; charset=utf-8');
    assert.equal(refused.responseHeaders['RateLimit-Remaining'], '0');
    assert.equal(refused.responseHeaders['X-Rate-Limit-Limit'], '3.00');
  });

  it('refills at maxRequestsPerSecond tokens a second', async () => {
    const clock = manualClock();
    const link = rateLimitLink(2, clock.now);
    await call(link);
    await call(link);
    assert.equal((await call(link)).reply?.status, 429);
    clock.advance(499);
    assert.equal((await call(link)).reply?.status, 429, 'not yet a whole token after 499 ms');
    clock.advance(1);
    assert.equal((await call(link)).reached, true, 'one token after 500 ms at 2/s');
    assert.equal((await call(link)).reply?.status, 429);
    clock.advance(10_000);
    const after = await call(link);
    assert.equal(after.reached, true);
    assert.equal(after.responseHeaders['RateLimit-Remaining'], '1', 'the bucket holds no more than the burst');
  });

  it('counts each caller IP and path apart, the caller taken from X-Forwarded-For, X-Real-IP, then the peer', async () => {
    const clock = manualClock();
    const link = rateLimitLink(1, clock.now);
    assert.equal((await call(link, new RecordingExchange('/a', {}, '10.0.0.1'))).reached, true);
    assert.equal((await call(link, new RecordingExchange('/a', {}, '10.0.0.1'))).reached, false);
    assert.equal((await call(link, new RecordingExchange('/b', {}, '10.0.0.1'))).reached, true, 'another path has its own bucket');
    assert.equal((await call(link, new RecordingExchange('/a?x=1', {}, '10.0.0.1'))).reached, false, 'the query string is not part of the key');
    assert.equal((await call(link, new RecordingExchange('/a', {}, '10.0.0.2'))).reached, true, 'another peer has its own bucket');
    assert.equal((await call(link, new RecordingExchange('/a', { 'x-forwarded-for': '1.1.1.1, 10.0.0.1' }, '10.0.0.9'))).reached, false,
      'the last X-Forwarded-For entry is the caller');
    assert.equal((await call(link, new RecordingExchange('/a', { 'x-real-ip': '2.2.2.2' }, '10.0.0.1'))).reached, true, 'X-Real-IP before the peer');
    assert.equal((await call(link, new RecordingExchange('/a', {}, null))).reached, true, 'no address at all: 0.0.0.0');
    assert.equal((await call(link, new RecordingExchange('/a', {}, null))).reached, false);
  });

  it('allows fractions below one a second: one request, then one every 1/max seconds', async () => {
    const clock = manualClock();
    const link = rateLimitLink(0.5, clock.now);
    assert.equal((await call(link)).reached, true);
    clock.advance(1_999);
    assert.equal((await call(link)).reached, false);
    clock.advance(1);
    assert.equal((await call(link)).reached, true);
  });

  it('reads maxRequestsPerSecond with daprd\'s default of 100 and refuses values that are not positive', () => {
    assert.equal(maxRequestsPerSecond({}), 100);
    assert.equal(maxRequestsPerSecond({ MaxRequestsPerSecond: '7' }), 7);
    assert.throws(() => maxRequestsPerSecond({ maxRequestsPerSecond: '0' }), /must be a positive number/);
    assert.throws(() => maxRequestsPerSecond({ maxRequestsPerSecond: 'ten' }), /must be a positive number/);
  });
});
