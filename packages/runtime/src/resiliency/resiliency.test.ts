import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '@outrigger/kit';
import { loadCel } from '../internal/cel.js';
import type { Located } from '../resources/load-resources.js';
import type { ResiliencyResource } from '../resources/resource-schemas.js';
import { FailedAnswerError, PolicyTimeoutError } from './errors.js';
import { Resiliency } from './resiliency.js';

// Trip expressions are CEL, which the sidecar loads only when a circuit breaker is defined (Resiliency.create).
await loadCel();

const logger = createLogger({ scope: 'test', level: 'silent' });

function resource(spec: ResiliencyResource['spec'], name = 'r'): Located<ResiliencyResource> {
  return { apiVersion: 'dapr.io/v1alpha1', kind: 'Resiliency', metadata: { name }, spec, origin: { file: `${name}.yaml`, index: 0 } } as unknown as Located<ResiliencyResource>;
}

/** A Resiliency whose waits are recorded instead of slept. */
function resiliency(...resources: Located<ResiliencyResource>[]) {
  const waits: number[] = [];
  let now = 0;
  const instance = new Resiliency(resources, {
    logger, now: () => now, random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
      now += ms;
    },
  });
  return { instance, waits, advance: (ms: number) => { now += ms; } };
}

const failing = (times: number) => {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    operation: async () => {
      calls++;
      if (calls <= times) throw new Error(`failure ${calls}`);
      return 'done';
    },
  };
};

const spec = {
  policies: {
    timeouts: { quick: '50ms' },
    retries: { three: { policy: 'constant', duration: '1s', maxRetries: 3 }, fiveXX: { policy: 'constant', duration: '10ms', maxRetries: 5, matching: { httpStatusCodes: '500-599' } } },
    circuitBreakers: { cb: { trip: 'consecutiveFailures >= 2', timeout: '30s', maxRequests: 1 } },
  },
  targets: {
    apps: { flaky: { retry: 'three' }, picky: { retry: 'fiveXX' }, slow: { timeout: 'quick' }, fragile: { circuitBreaker: 'cb', retry: 'three' } },
    components: { statestore: { outbound: { retry: 'three' } } },
    actors: { myActor: { timeout: 'quick', circuitBreakerScope: 'type' } },
  },
} as unknown as ResiliencyResource['spec'];

describe('Resiliency targets', () => {
  it('retries an app target as often as its policy says, waiting between attempts', async () => {
    const { instance, waits } = resiliency(resource(spec));
    const flaky = failing(3);
    assert.equal(await instance.forApp('flaky').run(flaky.operation), 'done');
    assert.equal(flaky.calls, 4);
    assert.deepEqual(waits, [1000, 1000, 1000]);
    const hopeless = failing(10);
    await assert.rejects(instance.forApp('flaky').run(hopeless.operation), /failure 4/);
    assert.equal(hopeless.calls, 4, 'one attempt and three retries');
  });

  it('retries only the answers whose code matching lists', async () => {
    const { instance } = resiliency(resource(spec));
    let calls = 0;
    const answer = (status: number) => async () => {
      calls++;
      throw new FailedAnswerError({ status }, { http: status }, `status ${status}`);
    };
    await assert.rejects(instance.forApp('picky').run(answer(404)), FailedAnswerError);
    assert.equal(calls, 1);
    calls = 0;
    await assert.rejects(instance.forApp('picky').run(answer(503)), FailedAnswerError);
    assert.equal(calls, 6);
  });

  it('cuts each attempt with the timeout', async () => {
    const { instance } = resiliency(resource(spec));
    let aborted = false;
    const started = Date.now();
    await assert.rejects(instance.forApp('slow').run(({ signal }) => new Promise((resolve) => {
      signal?.addEventListener('abort', () => {
        aborted = true;
      });
      setTimeout(resolve, 5_000).unref();
    })), (error: unknown) => error instanceof PolicyTimeoutError && error.message === 'context deadline exceeded');
    assert.ok(Date.now() - started < 2_000);
    assert.equal(aborted, true, 'the attempt is told to stop');
  });

  it('stops retrying once the breaker opens, and the breaker is per target', async () => {
    const { instance } = resiliency(resource(spec));
    const down = failing(100);
    await assert.rejects(instance.forApp('fragile').run(down.operation), /circuit breaker is open/);
    assert.equal(down.calls, 2, 'two failures trip it; the retry after that meets the open breaker and stops');
    assert.equal(instance.forApp('fragile').breaker?.state, 'open');
    assert.equal(instance.forApp('flaky').breaker, undefined);
  });

  it('applies component outbound targets and keeps actor targets', () => {
    const { instance } = resiliency(resource(spec));
    assert.equal(instance.forComponentOutbound('statestore', 'state').retry?.name, 'three');
    assert.equal(instance.forComponentInbound('statestore', 'state').retry, undefined);
    assert.equal(instance.actors.get('myActor')?.timeout, 'quick');
    assert.equal(instance.actors.get('myActor')?.circuitBreakerScope, 'type');
  });
});

describe('Resiliency defaults', () => {
  it('uses the most specific Default* policy of each kind for targets without an entry', () => {
    const { instance } = resiliency(resource({
      policies: {
        timeouts: { DefaultTimeoutPolicy: '9s', DefaultStatestoreComponentOutboundTimeoutPolicy: '1s' },
        retries: { DefaultComponentRetryPolicy: { maxRetries: 2 }, DefaultAppRetryPolicy: { maxRetries: 7 }, DefaultPubsubComponentInboundRetryPolicy: { maxRetries: 4 } },
      },
    } as unknown as ResiliencyResource['spec']));
    const state = instance.forComponentOutbound('store', 'state');
    assert.equal(state.timeoutMs, 1_000);
    assert.equal(state.retry?.name, 'DefaultComponentRetryPolicy');
    assert.equal(instance.forComponentOutbound('locks', 'lock').timeoutMs, 9_000);
    assert.equal(instance.forApp('any').retry?.name, 'DefaultAppRetryPolicy');
    assert.equal(instance.forComponentInbound('pubsub', 'pubsub').retry?.name, 'DefaultPubsubComponentInboundRetryPolicy');
  });

  it('uses a target entry as it is, without Default* policies filling it in (as daprd)', () => {
    const { instance } = resiliency(resource({
      policies: { timeouts: { t: '1s' }, retries: { DefaultRetryPolicy: { maxRetries: 2 } } },
      targets: { apps: { b: { timeout: 't' } } },
    } as unknown as ResiliencyResource['spec']));
    assert.equal(instance.forApp('b').retry, undefined);
    assert.equal(instance.forApp('c').retry?.name, 'DefaultRetryPolicy');
  });

  it('has daprd built-in service retries (3 × 1 s) that a user policy of the same name replaces', () => {
    assert.deepEqual(pick(resiliency().instance.builtInServiceRunner('b').retry), { policy: 'constant', durationMs: 1000, maxRetries: 3 });
    const replaced = resiliency(resource({ policies: { retries: { DaprBuiltInServiceRetries: { policy: 'constant', duration: '20ms', maxRetries: 6 } } } } as unknown as ResiliencyResource['spec']));
    assert.deepEqual(pick(replaced.instance.builtInServiceRunner('b').retry), { policy: 'constant', durationMs: 20, maxRetries: 6 });
  });

  it('retries initialization calls as DaprBuiltInInitializationRetries, or as the user policy of that name', async () => {
    const builtIn = resiliency();
    const flaky = failing(10);
    await assert.rejects(builtIn.instance.builtInRunner('DaprBuiltInInitializationRetries').run(flaky.operation));
    assert.equal(flaky.calls, 4, 'one call and three retries');
    assert.deepEqual(builtIn.waits, [500, 750, 1125]);
    const replaced = resiliency(resource({ policies: { retries: { DaprBuiltInInitializationRetries: { policy: 'constant', duration: '1s', maxRetries: 1 } } } } as unknown as ResiliencyResource['spec']));
    const again = failing(10);
    await assert.rejects(replaced.instance.builtInRunner('DaprBuiltInInitializationRetries').run(again.operation));
    assert.equal(again.calls, 2);
    assert.deepEqual(replaced.waits, [1000]);
  });

  it('retries pub/sub delivery with the built-in policy only while no Resiliency speaks for the component', () => {
    assert.equal(resiliency().instance.forComponentInbound('pubsub', 'pubsub').retry?.name, 'OutriggerBuiltInPubsubDeliveryRetries');
    const withTarget = resiliency(resource({ policies: { timeouts: { t: '1s' } }, targets: { components: { pubsub: { inbound: { timeout: 't' } } } } } as unknown as ResiliencyResource['spec']));
    assert.equal(withTarget.instance.forComponentInbound('pubsub', 'pubsub').retry, undefined);
  });

  it('skips a resource that names an unknown policy, keeping the others', () => {
    const { instance } = resiliency(
      resource({ policies: {}, targets: { apps: { b: { retry: 'missing' } } } } as unknown as ResiliencyResource['spec'], 'bad'),
      resource({ policies: { retries: { r: { maxRetries: 1 } } }, targets: { apps: { c: { retry: 'r' } } } } as unknown as ResiliencyResource['spec'], 'good'),
    );
    assert.equal(instance.forApp('b').configured, false);
    assert.equal(instance.forApp('c').retry?.maxRetries, 1);
  });
});

function pick(policy: { policy: string; durationMs: number; maxRetries: number } | undefined) {
  return policy && { policy: policy.policy, durationMs: policy.durationMs, maxRetries: policy.maxRetries };
}
