import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { docsPath, renderedDocs } from './render-docs.js';

describe('docs/components/mqtt.md', () => {
  it('has the metadata tables generated from the registrations (regenerate: node components/mqtt/dist/render-docs.js)', () => {
    const current = readFileSync(docsPath, 'utf8');
    assert.equal(current, renderedDocs(current));
  });
});
