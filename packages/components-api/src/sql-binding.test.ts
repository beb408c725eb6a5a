import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatGoDuration, readSqlBindingRequest, rfc3339Nano } from './sql-binding.js';

describe('SQL binding helpers', () => {
  it('formats durations as Go does', () => {
    const cases: [bigint, string][] = [
      [0n, '0s'], [850n, '850ns'], [1_500n, '1.5µs'], [12_003_000n, '12.003ms'], [2_500_000_000n, '2.5s'],
      [90_000_000_000n, '1m30s'], [7_200_000_000_000n, '2h0m0s'], [3_723_400_000_000n, '1h2m3.4s'], [-1_000_000n, '-1ms'],
    ];
    for (const [ns, text] of cases) assert.equal(formatGoDuration(ns), text, String(ns));
  });

  it('formats times as Go\'s RFC3339Nano in UTC', () => {
    assert.equal(rfc3339Nano(Date.UTC(2024, 0, 2, 3, 4, 5, 120)), '2024-01-02T03:04:05.12Z');
    assert.equal(rfc3339Nano(Date.UTC(2024, 0, 2, 3, 4, 5, 0)), '2024-01-02T03:04:05Z');
  });

  it('reads sql and params with Dapr\'s messages', () => {
    assert.deepEqual(readSqlBindingRequest({ sql: 'SELECT $1', params: '[1, "a", null]' }), { sql: 'SELECT $1', params: [1, 'a', null] });
    assert.deepEqual(readSqlBindingRequest({ sql: 'SELECT 1' }), { sql: 'SELECT 1', params: [] });
    assert.throws(() => readSqlBindingRequest({}), /required metadata not set: sql/);
    assert.throws(() => readSqlBindingRequest({ sql: 'x', params: '{}' }), /invalid metadata property params: failed to unserialize into an array/);
  });
});
