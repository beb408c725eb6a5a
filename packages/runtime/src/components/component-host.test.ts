import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@outrigger/kit';
import type { Component } from '@outrigger/components-api';
import { ComponentHost, ComponentInitError } from './component-host.js';
import { createDefaultRegistry } from '../component-registry.js';
import type { Located } from '../resources/load-resources.js';
import type { ComponentResource } from '../resources/resource-schemas.js';

const logger = createLogger({ scope: 'test', level: 'silent' });

function resource(name: string, type: string, metadata: { name: string; value?: string; envRef?: string }[] = [], extra: Partial<ComponentResource['spec']> = {}): Located<ComponentResource> {
  return {
    apiVersion: 'dapr.io/v1alpha1', kind: 'Component', metadata: { name },
    spec: { type, version: 'v1', ignoreErrors: false, metadata, ...extra },
    origin: { file: '/res/components.yaml' },
  } as Located<ComponentResource>;
}

/** A component whose init never finishes, to exercise initTimeout. */
class NeverReady implements Component {
  closed = false;
  init(): Promise<void> {
    return new Promise(() => undefined);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

function host(env: NodeJS.ProcessEnv = {}) {
  const registry = createDefaultRegistry();
  registry.register({ type: 'state.never', block: 'state', versions: ['v1'], description: 'test', metadata: [], create: () => new NeverReady() });
  return new ComponentHost({ registry, logger, appId: 'app', namespace: '', env });
}

describe('ComponentHost', () => {
  it('initialises components and lists them by block', async () => {
    const components = host({ DB_PATH: ':memory:' });
    await components.initAll([resource('mem', 'state.in-memory'), resource('lite', 'state.sqlite', [{ name: 'connectionString', envRef: 'DB_PATH' }])]);
    assert.deepEqual(components.ofBlock('state').map((component) => component.name), ['mem', 'lite']);
    assert.equal(components.get('lite')?.metadata.connectionString, ':memory:');
    await components.closeAll();
  });

  it('names the file, the component and the field when a component cannot load', async () => {
    const cases: [Located<ComponentResource>, string][] = [
      [resource('x', 'state.nosuch'), 'spec.type'],
      [resource('x', 'state.sqlite'), 'spec.metadata.connectionString'],
      [resource('x', 'state.sqlite', [{ name: 'connectionString', value: ':memory:' }, { name: 'busyTimeout', value: 'soon' }]), 'spec.metadata.busyTimeout'],
      [resource('x', 'state.sqlite', [{ name: 'connectionString', envRef: 'UNSET_VARIABLE' }]), 'spec.metadata.connectionString'],
      [resource('x', 'state.never', [], { initTimeout: '50ms' }), 'spec.initTimeout'],
    ];
    for (const [component, field] of cases) {
      await assert.rejects(host().initAll([component]), (error: unknown) => {
        assert.ok(error instanceof ComponentInitError, String(error));
        assert.equal(error.file, '/res/components.yaml');
        assert.equal(error.component, 'x');
        assert.equal(error.field, field);
        return true;
      });
    }
  });

  it('leaves out a failing component that says ignoreErrors: true', async () => {
    const components = host();
    await components.initAll([resource('bad', 'state.sqlite', [], { ignoreErrors: true }), resource('good', 'state.in-memory')]);
    assert.deepEqual(components.all().map((component) => component.name), ['good']);
    await components.closeAll();
  });

  it('refuses two components with one name', async () => {
    await assert.rejects(host().initAll([resource('same', 'state.in-memory'), resource('same', 'state.in-memory')]), /already loaded/);
  });
});
