import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '@outrigger/kit';
import { loadCelForRules } from '../blocks/pubsub/subscription-model.js';
import { Resiliency, type ResiliencyEvent } from '../resiliency/resiliency.js';
import type { Located } from '../resources/load-resources.js';
import type { ResiliencyResource } from '../resources/resource-schemas.js';
import { compileCel } from './cel.js';

const logger = createLogger({ scope: 'test', level: 'silent' });

function resiliency(policies: ResiliencyResource['spec']['policies']): Located<ResiliencyResource> {
  return {
    apiVersion: 'dapr.io/v1alpha1', kind: 'Resiliency', metadata: { name: 'r' }, spec: { policies, targets: {} },
    origin: { file: 'r.yaml', index: 0 },
  } as unknown as Located<ResiliencyResource>;
}

// One process per test file: CEL starts unloaded here, and the steps below run in order.
describe('CEL is loaded only when resources or subscriptions use it', () => {
  it('is not loaded by resiliency without circuit breakers nor by subscriptions without match rules', async () => {
    await Resiliency.create([resiliency({ retries: { r: { policy: 'constant', duration: '1s' } } })], { logger });
    await loadCelForRules([{ routes: { rules: [{ match: '', path: '/a' }] } }, { route: '/b' }, null]);
    assert.throws(() => compileCel('1 == 1'), /CEL is not loaded/);
  });

  it('is loaded by Resiliency.create when a circuit breaker is defined', async () => {
    const events: ResiliencyEvent[] = [];
    await Resiliency.create([resiliency({ circuitBreakers: { cb: { trip: 'consecutiveFailures > 1' } } })], { logger, onEvent: (event) => events.push(event) });
    assert.deepEqual(events.map((event) => event.type), ['loaded']);
    assert.equal(compileCel('event.type == "x"')({ event: { type: 'x' } }), true);
  });
});
