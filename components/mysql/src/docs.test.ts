import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ComponentRegistry } from '@outrigger/components-api';
import { registerMysqlComponents } from './index.js';
import { mysqlDocsPath, renderedMysqlDocs } from './render-docs.js';

describe('docs/components/mysql.md', () => {
  it('has the metadata tables generated from the registrations (regenerate: node components/mysql/dist/render-docs.js)', () => {
    const current = readFileSync(mysqlDocsPath, 'utf8');
    assert.equal(current, renderedMysqlDocs(current));
  });

  it('registers Dapr\'s type names', () => {
    const registry = new ComponentRegistry();
    registerMysqlComponents(registry);
    assert.deepEqual(registry.types(), ['bindings.mysql', 'state.mysql']);
    assert.equal(registry.resolve('state.mysql').metadata.find((field) => field.name === 'schemaName')?.default, 'dapr_state_store');
  });
});
