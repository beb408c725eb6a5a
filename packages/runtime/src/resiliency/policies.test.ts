import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadCel } from '../internal/cel.js';
import { CircuitBreaker, circuitBreakerPolicyFromSpec, type BreakerState } from './circuit-breaker.js';
import { CircuitBreakerOpenError } from './errors.js';
import { matchesCode, retriesLeft, retryDelayMs, retryPolicyFromSpec } from './retry-policy.js';
import { parseStatusCodes, statusCodeBounds } from './status-codes.js';

// Trip expressions are CEL, which the sidecar loads only when a circuit breaker is defined.
await loadCel();

describe('status code matching', () => {
  it('reads single codes and inclusive ranges', () => {
    const codes = parseStatusCodes('500-599, 429', statusCodeBounds.http);
    assert.equal(codes.has(429), true);
    assert.equal(codes.has(500), true);
    assert.equal(codes.has(599), true);
    assert.equal(codes.has(404), false);
    assert.equal(codes.has(600), false);
  });

  it('refuses codes outside the protocol and ranges that run backwards', () => {
    assert.throws(() => parseStatusCodes('99', statusCodeBounds.http), /outside 100-599/);
    assert.throws(() => parseStatusCodes('1-17', statusCodeBounds.grpc), /outside 0-16/);
    assert.throws(() => parseStatusCodes('503-500', statusCodeBounds.http), /ends before it starts/);
    assert.throws(() => parseStatusCodes('5xx', statusCodeBounds.http), /not a status code/);
  });

  it('retries every failed answer without matching, only listed codes with it', () => {
    const all = retryPolicyFromSpec('all', {});
    assert.equal(matchesCode(all, { http: 404 }), true);
    const some = retryPolicyFromSpec('some', { matching: { httpStatusCodes: '502-504', gRPCStatusCodes: '14' } });
    assert.equal(matchesCode(some, { http: 503 }), true);
    assert.equal(matchesCode(some, { http: 500 }), false);
    assert.equal(matchesCode(some, { grpc: 14 }), true);
    assert.equal(matchesCode(some, { grpc: 2 }), false);
    assert.equal(matchesCode(some, {}), true, 'errors without a code (a refused connection) are retried');
  });

  it('names the field of a bad matching value', () => {
    assert.throws(() => retryPolicyFromSpec('bad', { matching: { httpStatusCodes: '700' } }), /retry policy "bad": field "matching.httpStatusCodes"/);
  });
});

describe('retry back-off', () => {
  it('waits the same duration between constant retries and defaults to 5 s, forever', () => {
    const policy = retryPolicyFromSpec('c', { policy: 'constant', duration: '250ms', maxRetries: 2 });
    assert.deepEqual([0, 1, 2].map((retry) => retryDelayMs(policy, retry)), [250, 250, 250]);
    assert.equal(retriesLeft(policy, 1), true);
    assert.equal(retriesLeft(policy, 2), false);
    const defaults = retryPolicyFromSpec('d', {});
    assert.equal(retryDelayMs(defaults, 0), 5_000);
    assert.equal(retriesLeft(defaults, 1_000_000), true, 'maxRetries defaults to -1');
  });

  it('grows exponential waits by 1.5 from 500 ms up to maxInterval, spread by ±50 %', () => {
    const policy = retryPolicyFromSpec('e', { policy: 'exponential', maxInterval: '2s' });
    const middle = () => 0.5;
    assert.deepEqual([0, 1, 2, 3, 4, 5].map((retry) => retryDelayMs(policy, retry, middle)), [500, 750, 1125, 1687.5, 2000, 2000]);
    assert.equal(retryDelayMs(policy, 0, () => 0), 250);
    assert.equal(retryDelayMs(policy, 1, () => 0.999999) < 1125, true);
    assert.equal(retryDelayMs(policy, 9, () => 0.999999), 2000, 'never beyond maxInterval');
  });

  it('treats maxRetries 0 as no retry', () => {
    assert.equal(retriesLeft(retryPolicyFromSpec('z', { maxRetries: 0 }), 0), false);
  });
});

describe('circuit breaker', () => {
  function breaker(spec: Parameters<typeof circuitBreakerPolicyFromSpec>[1]) {
    let now = 1_000;
    const changes: string[] = [];
    const instance = new CircuitBreaker('app[b]', circuitBreakerPolicyFromSpec('cb', spec), () => now,
      (from: BreakerState, to: BreakerState) => changes.push(`${from}->${to}`));
    const fail = () => instance.execute(() => Promise.reject(new Error('down')));
    const succeed = () => instance.execute(() => Promise.resolve('ok'));
    return { instance, changes, fail, succeed, advance: (ms: number) => { now += ms; } };
  }

  it('opens when its trip expression holds, then fails fast without calling the operation', async () => {
    const { instance, changes, fail } = breaker({ trip: 'consecutiveFailures >= 3', timeout: '10s' });
    for (let index = 0; index < 2; index++) await assert.rejects(fail(), /down/);
    assert.equal(instance.state, 'closed');
    await assert.rejects(fail(), /down/);
    assert.equal(instance.state, 'open');
    let called = false;
    await assert.rejects(instance.execute(async () => {
      called = true;
    }), (error: unknown) => error instanceof CircuitBreakerOpenError && error.message === 'circuit breaker is open');
    assert.equal(called, false);
    assert.deepEqual(changes, ['closed->open']);
  });

  it('half-opens after its timeout; maxRequests probes go through and their successes close it', async () => {
    const { instance, changes, fail, succeed, advance } = breaker({ trip: 'consecutiveFailures >= 1', timeout: '10s', maxRequests: 2 });
    await assert.rejects(fail());
    advance(9_999);
    assert.equal(instance.state, 'open');
    advance(1);
    assert.equal(instance.state, 'half-open');
    // Two probes in flight use up the half-open allowance; a third is refused.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const first = instance.execute(() => held);
    const second = instance.execute(() => held);
    await assert.rejects(instance.execute(() => Promise.resolve()), /too many requests/);
    release();
    await Promise.all([first, second]);
    assert.equal(instance.state, 'closed');
    await succeed();
    assert.deepEqual(changes, ['closed->open', 'open->half-open', 'half-open->closed']);
  });

  it('reopens on a failed probe', async () => {
    const { instance, changes, fail, advance } = breaker({ trip: 'consecutiveFailures > 0', timeout: '1s' });
    await assert.rejects(fail());
    advance(1_000);
    await assert.rejects(fail(), /down/);
    assert.equal(instance.state, 'open');
    assert.deepEqual(changes, ['closed->open', 'open->half-open', 'half-open->open']);
  });

  it('clears its counts every interval while closed', async () => {
    const { instance, fail, advance } = breaker({ trip: 'totalFailures >= 2', interval: '5s' });
    await assert.rejects(fail());
    advance(5_000);
    await assert.rejects(fail());
    assert.equal(instance.state, 'closed', 'the first failure was in an earlier interval');
    await assert.rejects(fail());
    assert.equal(instance.state, 'open');
  });

  it('evaluates every counter Dapr documents, and defaults to more than 5 failures in a row', async () => {
    const { instance, fail, succeed } = breaker({ trip: 'requests >= 4 && totalSuccesses == 1 && totalFailures == 3 && consecutiveSuccesses == 0 && consecutiveFailures == 2' });
    await assert.rejects(fail());
    await succeed();
    await assert.rejects(fail());
    assert.equal(instance.state, 'closed');
    await assert.rejects(fail());
    assert.equal(instance.state, 'open');
    const defaults = breaker({});
    for (let index = 0; index < 5; index++) await assert.rejects(defaults.fail());
    assert.equal(defaults.instance.state, 'closed');
    await assert.rejects(defaults.fail());
    assert.equal(defaults.instance.state, 'open');
    assert.equal(defaults.instance.policy.timeoutMs, 60_000);
    assert.equal(defaults.instance.policy.maxRequests, 1);
  });

  it('names the field of a trip expression that does not parse', () => {
    assert.throws(() => circuitBreakerPolicyFromSpec('cb', { trip: 'consecutiveFailures >=' }), /circuit breaker "cb": field "trip"/);
  });
});

describe('replayable request bodies', () => {
  it('buffers a body within the bound and streams a bigger one whole, in order', async () => {
    const { Readable } = await import('node:stream');
    const { buffer } = await import('node:stream/consumers');
    const { readReplayable } = await import('./replayable-body.js');
    const small = await readReplayable(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), 10);
    assert.equal(small.kind, 'buffered');
    assert.equal(small.kind === 'buffered' && small.bytes.toString(), 'abcd');
    const parts = Array.from({ length: 5 }, (_, index) => Buffer.from(`part${index};`));
    const big = await readReplayable(Readable.from(parts), 12);
    assert.equal(big.kind, 'streaming');
    assert.equal(big.kind === 'streaming' && (await buffer(big.stream)).toString(), 'part0;part1;part2;part3;part4;');
    assert.equal((await readReplayable(undefined)).kind, 'none');
  });
});
