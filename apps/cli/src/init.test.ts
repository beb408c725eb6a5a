import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { initHome } from './commands/init.js';

describe('initHome', () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const tempHome = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'outrigger-init-'));
    dirs.push(dir);
    return join(dir, 'home with space');
  };

  it('writes a sqlite state store usable for actors, a sqlite pub/sub and an empty configuration', () => {
    const home = tempHome();
    const result = initHome(home);
    assert.deepEqual(result.kept, []);
    assert.equal(result.written.length, 3);
    const pubsub = parse(readFileSync(join(home, 'components', 'pubsub.yaml'), 'utf8')) as { metadata: { name: string }; spec: { type: string; metadata: { name: string; value: string }[] } };
    assert.equal(pubsub.metadata.name, 'pubsub');
    assert.equal(pubsub.spec.type, 'pubsub.sqlite');
    assert.deepEqual(pubsub.spec.metadata, [{ name: 'connectionString', value: join(home, 'pubsub.db') }]);
    const component = parse(readFileSync(join(home, 'components', 'statestore.yaml'), 'utf8')) as {
      kind: string; metadata: { name: string }; spec: { type: string; metadata: { name: string; value: string }[] };
    };
    assert.equal(component.kind, 'Component');
    assert.equal(component.metadata.name, 'statestore');
    assert.equal(component.spec.type, 'state.sqlite');
    assert.deepEqual(component.spec.metadata, [
      { name: 'connectionString', value: join(home, 'state.db') },
      { name: 'actorStateStore', value: 'true' },
    ]);
    const config = parse(readFileSync(join(home, 'config.yaml'), 'utf8')) as { kind: string; metadata: { name: string }; spec: unknown };
    assert.deepEqual(config, { apiVersion: 'dapr.io/v1alpha1', kind: 'Configuration', metadata: { name: 'daprConfig' }, spec: {} });
  });

  it('keeps files that exist and still creates the components folder', () => {
    const home = tempHome();
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'config.yaml'), 'mine\n');
    const result = initHome(home);
    assert.deepEqual(result.kept, [join(home, 'config.yaml')]);
    assert.deepEqual(result.written, [join(home, 'components', 'statestore.yaml'), join(home, 'components', 'pubsub.yaml')]);
    assert.equal(readFileSync(join(home, 'config.yaml'), 'utf8'), 'mine\n');
    const again = initHome(home);
    assert.equal(again.written.length, 0);
    assert.equal(again.kept.length, 3);
  });
});
