import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createLogger } from '@outrigger/kit';
import { createDefaultRegistry } from '../component-registry.js';
import type { Located } from '../resources/load-resources.js';
import type { ComponentResource } from '../resources/resource-schemas.js';
import { ComponentHost, ComponentInitError } from './component-host.js';
import { orderBySecretStore } from './secret-references.js';

const logger = createLogger({ scope: 'test', level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'outrigger-secretref-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Item = { name: string; value?: string; secretKeyRef?: { name: string; key?: string } };

function component(name: string, type: string, metadata: Item[], secretStore?: string): Located<ComponentResource> {
  return {
    apiVersion: 'dapr.io/v1alpha1', kind: 'Component', metadata: { name },
    spec: { type, version: 'v1', ignoreErrors: false, metadata },
    ...(secretStore === undefined ? {} : { auth: { secretStore } }),
    origin: { file: '/res/components.yaml' },
  } as Located<ComponentResource>;
}

const dbPath = join(dir, 'state.db');
const secretsFile = join(dir, 'secrets.json');
writeFileSync(secretsFile, JSON.stringify({ db: { path: dbPath }, plain: ':memory:', multi: { path: dbPath } }));
const fileStore = (name = 'files', extra: Item[] = []) =>
  component(name, 'secretstores.local.file', [{ name: 'secretsFile', value: secretsFile }, ...extra]);
const sqliteFrom = (ref: { name: string; key?: string }, store = 'files') =>
  component('statestore', 'state.sqlite', [{ name: 'connectionString', secretKeyRef: ref }], store);

async function initAll(resources: Located<ComponentResource>[]): Promise<ComponentHost> {
  const host = new ComponentHost({ registry: createDefaultRegistry(), logger, appId: 'app', namespace: '' });
  await host.initAll(resources);
  return host;
}

describe('secretKeyRef resolution', () => {
  it('orders each secret store before the components that name it, keeping file order otherwise', () => {
    const a = component('a', 'state.in-memory', [], 'store2');
    const b = component('b', 'state.in-memory', []);
    const store1 = component('store1', 'secretstores.local.env', []);
    const store2 = component('store2', 'secretstores.local.env', [], 'store1');
    const cycleX = component('x', 'state.in-memory', [], 'y');
    const cycleY = component('y', 'state.in-memory', [], 'x');
    const names = (list: Located<ComponentResource>[]) => orderBySecretStore(list).map((item) => item.metadata.name);
    assert.deepEqual(names([a, b, store1, store2]), ['store1', 'store2', 'a', 'b']);
    assert.deepEqual(names([b, store1, a, store2]), ['b', 'store1', 'store2', 'a']);
    assert.deepEqual(names([cycleX, cycleY, component('self', 'state.in-memory', [], 'self')]), ['y', 'x', 'self']);
  });

  it('fills metadata from a secret store declared after the component, key defaulting to the secret name', async () => {
    const host = await initAll([sqliteFrom({ name: 'db:path' }), fileStore()]);
    assert.equal(host.get('statestore')?.metadata.connectionString, dbPath);
    await host.closeAll();
  });

  it('reads the named key of a multi-valued secret', async () => {
    const host = await initAll([sqliteFrom({ name: 'multi', key: 'path' }), fileStore('files', [{ name: 'multiValued', value: 'true' }])]);
    assert.equal(host.get('statestore')?.metadata.connectionString, dbPath);
    await host.closeAll();
  });

  it('fails the component, naming the field, when the secret cannot be resolved', async () => {
    const cases: [Located<ComponentResource>[], RegExp][] = [
      [[sqliteFrom({ name: 'absent' }), fileStore()], /secretKeyRef "absent": secret absent not found/],
      [[sqliteFrom({ name: 'plain', key: 'other' }), fileStore()], /secret "plain" in store "files" has no key "other"/],
      [[sqliteFrom({ name: 'plain' }, 'nosuchstore'), fileStore()], /secret store "nosuchstore" \(auth.secretStore\) is not loaded/],
      [[component('mem', 'state.in-memory', []), sqliteFrom({ name: 'plain' }, 'mem')], /"mem" \(auth.secretStore\) is a state.in-memory component, not a secret store/],
      [[component('statestore', 'state.sqlite', [{ name: 'connectionString', secretKeyRef: { name: 'plain' } }]), fileStore()], /no secret store is available/],
    ];
    for (const [resources, message] of cases) {
      await assert.rejects(initAll(resources), (error: unknown) => {
        assert.ok(error instanceof ComponentInitError, String(error));
        assert.equal(error.component, 'statestore');
        assert.equal(error.field, 'spec.metadata.connectionString');
        assert.match(error.message, message);
        return true;
      });
    }
  });
});
