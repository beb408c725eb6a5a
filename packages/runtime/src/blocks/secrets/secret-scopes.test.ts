import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResourceError, type Located } from '../../resources/load-resources.js';
import type { ConfigurationResource } from '../../resources/resource-schemas.js';
import { SecretScopes } from './secret-scopes.js';

function configuration(scopes: Record<string, unknown>[], name = 'appconfig'): Located<ConfigurationResource> {
  return {
    apiVersion: 'dapr.io/v1alpha1', kind: 'Configuration', metadata: { name },
    spec: { secrets: { scopes } }, origin: { file: '/res/config.yaml' },
  } as unknown as Located<ConfigurationResource>;
}

describe('SecretScopes', () => {
  it('allows everything in a store without rules', () => {
    const scopes = SecretScopes.fromConfigurations([configuration([{ storeName: 'other', defaultAccess: 'deny' }])]);
    assert.equal(scopes.isAllowed('vault', 'anything'), true);
    assert.equal(SecretScopes.none().isAllowed('vault', 'anything'), true);
  });

  it('applies daprd\'s rules: allowedSecrets alone decide when not empty, then deniedSecrets, then defaultAccess', () => {
    const scopes = SecretScopes.fromConfigurations([configuration([
      { storeName: 'allowList', defaultAccess: 'allow', allowedSecrets: ['a'], deniedSecrets: ['a', 'b'] },
      { storeName: 'denyList', deniedSecrets: ['b'] },
      { storeName: 'denyAll', defaultAccess: 'DENY' },
      { storeName: 'denyAllBut', defaultAccess: 'deny', allowedSecrets: ['c'] },
      { storeName: 'emptyLists', defaultAccess: 'deny', allowedSecrets: [], deniedSecrets: null },
    ])]);
    const table: [string, string, boolean][] = [
      ['allowList', 'a', true], ['allowList', 'b', false], ['allowList', 'z', false],
      ['denyList', 'b', false], ['denyList', 'z', true],
      ['denyAll', 'z', false],
      ['denyAllBut', 'c', true], ['denyAllBut', 'z', false],
      ['emptyLists', 'z', false],
    ];
    for (const [store, secret, allowed] of table) assert.equal(scopes.isAllowed(store, secret), allowed, `${store}/${secret}`);
  });

  it('lets a later Configuration replace the rules of a store', () => {
    const scopes = SecretScopes.fromConfigurations([
      configuration([{ storeName: 'vault', defaultAccess: 'deny' }], 'first'),
      configuration([{ storeName: 'vault', defaultAccess: 'allow' }], 'second'),
    ]);
    assert.equal(scopes.isAllowed('vault', 'z'), true);
  });

  it('refuses what daprd refuses, naming the file and the field', () => {
    const cases: [Record<string, unknown>[], string][] = [
      [[{ storeName: 'vault' }, { storeName: 'vault' }], 'spec.secrets.scopes.1.storeName'],
      [[{ storeName: 'vault', defaultAccess: 'maybe' }], 'spec.secrets.scopes.0.defaultAccess'],
      [[{ storeName: 'vault', allowedSecrets: 'a' }], 'spec.secrets.scopes.0.allowedSecrets'],
      [[{ storeName: 'vault', deniedSecrets: [1] }], 'spec.secrets.scopes.0.deniedSecrets'],
    ];
    for (const [scopes, field] of cases) {
      assert.throws(() => SecretScopes.fromConfigurations([configuration(scopes)]), (error: unknown) => {
        assert.ok(error instanceof ResourceError, String(error));
        assert.equal(error.file, '/res/config.yaml');
        assert.equal(error.field, field);
        return true;
      });
    }
  });
});
