import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@outrigger/kit';
import type { LoadedComponent } from '../components/component-host.js';
import type { Located } from '../resources/load-resources.js';
import type { ComponentResource, ConfigurationResource } from '../resources/resource-schemas.js';
import { buildPipeline } from './pipeline-builder.js';
import { middlewareRegistration } from './http-middleware.js';
import { RecordingExchange } from './test-exchange.js';

const logger = createLogger({ scope: 'test', level: 'silent' });

function configuration(name: string, handlers: { name: string; type: string }[], file = '/res/config.yaml'): Located<ConfigurationResource> {
  return { apiVersion: 'dapr.io/v1alpha1', kind: 'Configuration', metadata: { name }, spec: { httpPipeline: { handlers } }, origin: { file } } as Located<ConfigurationResource>;
}

function resource(name: string, type: string, ignoreErrors = false): Located<ComponentResource> {
  return { apiVersion: 'dapr.io/v1alpha1', kind: 'Component', metadata: { name }, spec: { type, version: 'v1', ignoreErrors }, origin: { file: '/res/c.yaml' } } as Located<ComponentResource>;
}

/** A loaded middleware component that records its name in `trail` on the way in. */
async function tracer(name: string, trail: string[]): Promise<LoadedComponent> {
  const registration = middlewareRegistration({
    name: 'tracer', description: 'test', metadata: [],
    create: () => async (exchange, next) => {
      trail.push(name);
      await next(exchange);
    },
  });
  const instance = registration.create();
  await instance.init({ name, metadata: {}, appId: 'app', namespace: '', logger });
  return { name, instance, registration, resource: resource(name, 'middleware.http.tracer'), metadata: {} };
}

describe('buildPipeline', () => {
  it('runs the handlers in the order listed, the first outermost, then what follows the pipeline', async () => {
    const trail: string[] = [];
    const loaded = new Map([['a', await tracer('a', trail)], ['b', await tracer('b', trail)]]);
    const pipeline = buildPipeline('httpPipeline', {
      configurations: [configuration('c', [{ name: 'b', type: 'middleware.http.tracer' }, { name: 'a', type: 'middleware.http.tracer' }])],
      declared: [], loaded: (name) => loaded.get(name), logger,
    });
    const exchange = new RecordingExchange();
    await pipeline?.(exchange);
    assert.deepEqual(trail, ['b', 'a']);
    assert.equal(exchange.reached, true);
  });

  it('is undefined when no Configuration declares handlers', () => {
    assert.equal(buildPipeline('httpPipeline', { configurations: [configuration('c', [])], declared: [], loaded: () => undefined, logger }), undefined);
    assert.equal(buildPipeline('appHttpPipeline', { configurations: [configuration('c', [{ name: 'x', type: 'middleware.http.tracer' }])], declared: [], loaded: () => undefined, logger }), undefined);
  });

  it('takes the last Configuration that declares the pipeline (--config is loaded last)', async () => {
    const trail: string[] = [];
    const loaded = new Map([['a', await tracer('a', trail)], ['b', await tracer('b', trail)]]);
    const pipeline = buildPipeline('httpPipeline', {
      configurations: [configuration('resources', [{ name: 'a', type: 'middleware.http.tracer' }]), configuration('flag', [{ name: 'b', type: 'middleware.http.tracer' }])],
      declared: [], loaded: (name) => loaded.get(name), logger,
    });
    await pipeline?.(new RecordingExchange());
    assert.deepEqual(trail, ['b']);
  });

  it('names the Configuration, the field and the handler when a component is missing or of another type', async () => {
    const loaded = new Map([['a', await tracer('a', [])]]);
    const sources = (handlers: { name: string; type: string }[], declared: Located<ComponentResource>[] = []) => ({
      configurations: [configuration('pipes', handlers)], declared, loaded: (name: string) => loaded.get(name), logger,
    });
    assert.throws(() => buildPipeline('httpPipeline', sources([{ name: 'a', type: 'middleware.http.tracer' }, { name: 'gone', type: 'middleware.http.ratelimit' }])),
      { name: 'ResourceError', message: '/res/config.yaml: Configuration "pipes": field "spec.httpPipeline.handlers.1": handler "gone" (middleware.http.ratelimit): no component named "gone" is declared for this app' });
    assert.throws(() => buildPipeline('httpPipeline', sources([{ name: 'a', type: 'middleware.http.uppercase' }])),
      /handler "a" \(middleware.http.uppercase\): component "a" has type middleware.http.tracer, not middleware.http.uppercase/);
    assert.throws(() => buildPipeline('httpPipeline', sources([{ name: 'a', type: 'state.redis' }])), /is not an HTTP middleware type/);
  });

  it('leaves out, with a warning, a handler whose component failed with ignoreErrors: true', async () => {
    const trail: string[] = [];
    const loaded = new Map([['a', await tracer('a', trail)]]);
    const pipeline = buildPipeline('httpPipeline', {
      configurations: [configuration('c', [{ name: 'flaky', type: 'middleware.http.bearer' }, { name: 'a', type: 'middleware.http.tracer' }])],
      declared: [resource('flaky', 'middleware.http.bearer', true)], loaded: (name) => loaded.get(name), logger,
    });
    await pipeline?.(new RecordingExchange());
    assert.deepEqual(trail, ['a']);
  });
});
