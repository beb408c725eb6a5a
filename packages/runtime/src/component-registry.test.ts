import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ComponentRegistry } from '@outrigger/components-api';
import { componentPackages, createDefaultRegistry } from './component-registry.js';

test('each lazy component package declares exactly the types it registers', async () => {
  for (const lazy of componentPackages) {
    const registry = new ComponentRegistry();
    await lazy.load(registry);
    assert.deepEqual(registry.types(), [...lazy.types].sort());
  }
});

test('a component type resolves once its package is loaded on demand; an unknown one names the known types', async () => {
  const registry = createDefaultRegistry();
  assert.throws(() => registry.resolve('state.redis'), /unknown component type/);
  assert.equal((await registry.load('state.redis')).block, 'state');
  assert.equal((await registry.load('state.postgres', 'v1')).type, 'state.postgresql');
  await assert.rejects(registry.load('state.nope'), (error: Error) => error.message.includes('known types') && error.message.includes('state.sqlite'));
});

test('loadAll lists every registration of every package', async () => {
  const registry = createDefaultRegistry();
  await registry.loadAll();
  const listed = new Set(registry.registrations().flatMap((registration) => [registration.type, ...(registration.aliases ?? [])]));
  for (const type of componentPackages.flatMap((lazy) => lazy.types)) assert.ok(listed.has(type), type);
});
