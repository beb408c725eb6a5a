import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fromSqlTime, toSqlTime } from './sqlite-schema.js';

describe('SQLite time text', () => {
  it('is UTC "YYYY-MM-DD HH:MM:SS.SSS" and reads back to the same instant', () => {
    const instant = Date.UTC(2026, 10, 23, 6, 7, 8, 9);
    assert.equal(toSqlTime(instant), '2026-11-23 06:07:08.009');
    assert.equal(fromSqlTime(toSqlTime(instant)), instant);
  });

  it('gives each millisecond its own text, also right after the same one twice', () => {
    const instant = Date.UTC(2026, 0, 1, 0, 0, 0, 0);
    assert.equal(toSqlTime(instant), toSqlTime(instant));
    assert.equal(toSqlTime(instant + 1), '2026-01-01 00:00:00.001');
    assert.equal(toSqlTime(instant), '2026-01-01 00:00:00.000');
  });
});
