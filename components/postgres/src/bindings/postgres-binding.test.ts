import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postgresUnavailable, skipAll, TEST_CONNECTION_STRING, testContext, uniqueTable } from '../testing/server.js';
import { PostgresBinding } from './postgres-binding.js';

const unavailable = await postgresUnavailable();
const table = uniqueTable('binding');

const call = (binding: PostgresBinding, operation: string, metadata: Record<string, string>) =>
  binding.invoke({ operation, data: new Uint8Array(0), metadata });
const rows = (response: Awaited<ReturnType<PostgresBinding['invoke']>>): unknown => JSON.parse(Buffer.from(response?.data ?? []).toString('utf8'));

if (unavailable) {
  skipAll('bindings.postgresql', unavailable);
} else {
  describe('bindings.postgresql', () => {
    const binding = new PostgresBinding();
    before(async () => {
      await binding.init(testContext({ url: TEST_CONNECTION_STRING }));
    });
    after(async () => {
      await call(binding, 'exec', { sql: `DROP TABLE IF EXISTS ${table}` }).catch(() => undefined);
      await binding.close();
    });

    it('exec answers rows-affected and Dapr\'s timing metadata, without data', async () => {
      const created = await call(binding, 'exec', { sql: `CREATE TABLE ${table} (id int8 PRIMARY KEY, name text, price numeric, ok boolean, doc jsonb, raw bytea, at timestamptz, day date, tags text[])` });
      assert.equal(created?.data, undefined);
      assert.equal(created?.metadata?.['rows-affected'], '0');
      const inserted = await call(binding, 'exec', {
        sql: `INSERT INTO ${table} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9), (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
        params: JSON.stringify(['9007199254740993', 'Ada', '12.50', true, { a: [1, 2] }, '\\x00ff', '2024-01-02T03:04:05.123456Z', '2024-01-02', ['x', 'y']]),
      });
      const metadata = inserted?.metadata ?? {};
      assert.equal(metadata['rows-affected'], '2');
      assert.equal(metadata.operation, 'exec');
      assert.match(metadata.sql ?? '', /^INSERT INTO/);
      assert.match(metadata['start-time'] ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      assert.match(metadata['end-time'] ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      assert.match(metadata.duration ?? '', /^\d+(\.\d+)?(ns|µs|ms|s)$/);
    });

    it('query answers a JSON array of row arrays, with exact numbers and pgx-like values', async () => {
      const response = await call(binding, 'query', { sql: `SELECT * FROM ${table} ORDER BY id DESC` });
      const text = Buffer.from(response?.data ?? []).toString('utf8');
      // Compared as text: an int8 beyond 2^53 and a numeric keep every digit, which JSON.parse would round.
      assert.equal(text, '[[9007199254740993,"Ada",12.50,true,{"a": [1, 2]},"AP8=","2024-01-02T03:04:05.123456Z","2024-01-02T00:00:00Z",["x","y"]],'
        + '[2,null,null,null,null,null,null,null,null]]');
      assert.equal(response?.metadata?.operation, 'query');
      assert.equal(response?.metadata?.['rows-affected'], undefined);
    });

    it('query with params, and with no rows answers []', async () => {
      assert.deepEqual(rows(await call(binding, 'query', { sql: `SELECT name FROM ${table} WHERE id = $1`, params: '["9007199254740993"]' })), [['Ada']]);
      assert.deepEqual(rows(await call(binding, 'query', { sql: `SELECT name FROM ${table} WHERE id = $1`, params: '[-5]' })), []);
    });

    it('refuses a call without sql, or with params that are not a JSON array, with Dapr\'s messages', async () => {
      await assert.rejects(call(binding, 'query', {}), /required metadata not set: sql/);
      await assert.rejects(call(binding, 'exec', { sql: 'SELECT 1', params: '{"a":1}' }), /invalid metadata property params: failed to unserialize into an array/);
      await assert.rejects(call(binding, 'exec', { sql: 'SELECT 1', params: '[1,' }), /invalid metadata property params/);
    });

    it('reports SQL errors', async () => {
      await assert.rejects(call(binding, 'query', { sql: 'SELECT * FROM no_such_table_here' }), /error executing query: .*no_such_table_here/);
    });

    it('close ends the connections; the next call opens new ones', async () => {
      assert.equal(await call(binding, 'close', {}), undefined);
      assert.equal(await call(binding, 'close', {}), undefined);
      assert.deepEqual(rows(await call(binding, 'query', { sql: 'SELECT 1 AS one' })), [[1]]);
    });
  });
}
