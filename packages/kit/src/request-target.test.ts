import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pathOf, queryOf, splitTarget } from './request-target.js';

describe('request target', () => {
  it('cuts at the first question mark', () => {
    assert.equal(pathOf('/v1.0/invoke/app/method/x?a=1&b=?'), '/v1.0/invoke/app/method/x');
    assert.equal(queryOf('/v1.0/invoke/app/method/x?a=1&b=?'), 'a=1&b=?');
  });

  it('keeps a target without a query whole, with an empty query', () => {
    assert.equal(pathOf('/v1.0/healthz'), '/v1.0/healthz');
    assert.equal(queryOf('/v1.0/healthz'), '');
  });

  it('handles a bare question mark and an empty target', () => {
    assert.equal(pathOf('/x?'), '/x');
    assert.equal(queryOf('/x?'), '');
    assert.equal(pathOf('?a=1'), '');
    assert.equal(queryOf('?a=1'), 'a=1');
    assert.equal(pathOf(''), '');
  });

  it('splits path and query in one search, telling no query from an empty one', () => {
    assert.deepEqual(splitTarget('/method/x?a=1&b=?'), { path: '/method/x', query: 'a=1&b=?' });
    assert.deepEqual(splitTarget('/method/x'), { path: '/method/x', query: undefined });
    assert.deepEqual(splitTarget('/method/x?'), { path: '/method/x', query: '' });
  });
});
