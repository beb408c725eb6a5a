import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ComponentRegistry } from '@outrigger/components-api';
import { registerPostgresComponents } from './index.js';
import { postgresDocsPath, renderedPostgresDocs } from './render-docs.js';

describe('docs/components/postgresql.md', () => {
  it('has the metadata tables generated from the registrations (regenerate: node components/postgres/dist/render-docs.js)', () => {
    const current = readFileSync(postgresDocsPath, 'utf8');
    assert.equal(current, renderedPostgresDocs(current));
  });

  it('registers Dapr\'s type names and aliases', () => {
    const registry = new ComponentRegistry();
    registerPostgresComponents(registry);
    assert.deepEqual(registry.types(), [
      'bindings.postgres', 'bindings.postgresql', 'configuration.postgres', 'configuration.postgresql', 'state.postgres', 'state.postgresql',
    ]);
    assert.throws(() => registry.resolve('state.postgresql', 'v2'), /unknown component type/);
    assert.equal(registry.resolve('state.postgres', 'v1').metadata.find((field) => field.name === 'metadataTableName')?.default, 'dapr_metadata');
  });
});
