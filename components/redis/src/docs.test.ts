import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ComponentRegistry } from '@outrigger/components-api';
import { registerRedisComponents } from './index.js';
import { redisDocsPath, renderedRedisDocs } from './render-docs.js';

describe('docs/components/redis.md', () => {
  it('has the metadata tables generated from the registrations (regenerate: node components/redis/dist/render-docs.js)', () => {
    const current = readFileSync(redisDocsPath, 'utf8');
    assert.equal(current, renderedRedisDocs(current));
  });

  it('registers the five Redis types with Dapr\'s names', () => {
    const registry = new ComponentRegistry();
    registerRedisComponents(registry);
    assert.deepEqual(registry.types(), ['bindings.redis', 'configuration.redis', 'lock.redis', 'pubsub.redis', 'state.redis']);
    assert.ok(registry.resolve('state.redis').metadata.find((field) => field.name === 'redisHost')?.required);
    assert.equal(registry.resolve('pubsub.redis').metadata.find((field) => field.name === 'concurrency')?.default, '10');
  });
});
