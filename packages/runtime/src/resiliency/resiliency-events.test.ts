import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '@outrigger/kit';
import { loadCel } from '../internal/cel.js';
import type { Located } from '../resources/load-resources.js';
import type { ResiliencyResource } from '../resources/resource-schemas.js';
import { Resiliency, type ResiliencyEvent } from './resiliency.js';

// Trip expressions are CEL, which the sidecar loads only when a circuit breaker is defined (Resiliency.create).
await loadCel();

const logger = createLogger({ scope: 'test', level: 'silent' });

function resource(name: string, spec: unknown, namespace?: string): Located<ResiliencyResource> {
  return { apiVersion: 'dapr.io/v1alpha1', kind: 'Resiliency', metadata: { name, namespace }, spec, origin: { file: `${name}.yaml`, index: 0 } } as unknown as Located<ResiliencyResource>;
}

const spec = {
  policies: {
    timeouts: { quick: '20ms' },
    retries: { twice: { policy: 'constant', duration: '1ms', maxRetries: 2 } },
    circuitBreakers: { cb: { trip: 'consecutiveFailures >= 1', timeout: '30s', maxRequests: 1 } },
  },
  targets: {
    apps: { flaky: { retry: 'twice', timeout: 'quick' }, fragile: { circuitBreaker: 'cb' } },
    components: { orders: { outbound: { retry: 'twice' } } },
  },
};

/** The events of one Resiliency, with the metric events as `type policy target status` lines. */
function recorded(...resources: Located<ResiliencyResource>[]) {
  const events: ResiliencyEvent[] = [];
  const instance = new Resiliency(resources, { logger, sleep: async () => undefined, onEvent: (event) => events.push(event) });
  const lines = () => events.flatMap((event) => event.type === 'executed' || event.type === 'activated'
    ? [`${event.type} ${event.labels.policy} ${event.labels.direction} ${event.labels.target} ${event.labels.status}`.trim()]
    : []);
  return { instance, events, lines };
}

describe('Resiliency events for metrics', () => {
  it('names each loaded resource, and labels policies with the last one loaded, as daprd does', async () => {
    const { instance, events } = recorded(resource('first', { policies: {} }), resource('second', spec, 'prod'));
    assert.deepEqual(events.filter((event) => event.type === 'loaded'), [
      { type: 'loaded', resiliency: 'first', namespace: '' },
      { type: 'loaded', resiliency: 'second', namespace: 'prod' },
    ]);
    await instance.forApp('flaky').run(async () => 'ok');
    const executed = events.find((event) => event.type === 'executed');
    assert.ok(executed?.type === 'executed');
    assert.equal(executed.labels.resiliency, 'second');
    assert.equal(executed.labels.namespace, 'prod');
  });

  it('counts each policy applied to an operation, and each retry and fired timeout as an activation', async () => {
    const { instance, lines } = recorded(resource('r', spec));
    let calls = 0;
    await instance.forApp('flaky').run(async ({ signal }) => {
      calls++;
      // The first attempt hangs until the 20 ms timeout cuts it; the second fails; the third succeeds.
      if (calls === 1) return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new Error('cut'))));
      if (calls === 2) throw new Error('failed');
      return 'ok';
    });
    assert.deepEqual(lines(), [
      'executed timeout outbound app_flaky', 'executed retry outbound app_flaky',
      'activated timeout outbound app_flaky', 'activated retry outbound app_flaky', 'activated retry outbound app_flaky',
    ]);
  });

  it('reports circuit breaker state with each operation and each state change', async () => {
    const { instance, lines } = recorded(resource('r', spec));
    await assert.rejects(instance.forApp('fragile').run(async () => {
      throw new Error('down');
    }));
    await assert.rejects(instance.forApp('fragile').run(async () => 'never'), /circuit breaker is open/);
    assert.deepEqual(lines(), [
      'executed circuitbreaker outbound app_fragile closed', 'activated circuitbreaker outbound app_fragile open',
      'executed circuitbreaker outbound app_fragile open',
    ]);
  });

  it('targets components as <ComponentType>_<name> with their direction, and leaves built-in policies out', async () => {
    const { instance, lines } = recorded(resource('r', spec));
    await instance.forComponentOutbound('orders', 'state').run(async () => 'ok');
    await instance.builtInServiceRunner('other').run(async () => 'ok');
    await instance.forComponentInbound('events', 'pubsub').run(async () => 'ok');
    assert.deepEqual(lines(), ['executed retry outbound Statestore_orders']);
  });
});
