import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mysqlUnavailable, skipAll, testContext, uniqueName } from '../testing/server.js';
import { MysqlBinding } from './mysql-binding.js';

const unavailable = await mysqlUnavailable();
const table = uniqueName('binding');

const call = (binding: MysqlBinding, operation: string, metadata: Record<string, string>) =>
  binding.invoke({ operation, data: new Uint8Array(0), metadata });
const body = (response: Awaited<ReturnType<MysqlBinding['invoke']>>): string => Buffer.from(response?.data ?? []).toString('utf8');

if (unavailable) {
  skipAll('bindings.mysql', unavailable);
} else {
  describe('bindings.mysql', () => {
    const binding = new MysqlBinding();
    before(async () => {
      await binding.init(testContext({ url: 'root:@tcp(127.0.0.1:3306)/test?allowNativePasswords=true' }));
    });
    after(async () => {
      await call(binding, 'exec', { sql: `DROP TABLE IF EXISTS ${table}` }).catch(() => undefined);
      await binding.close();
    });

    it('exec answers rows-affected (rows changed, as the Go driver counts) and timing metadata', async () => {
      const created = await call(binding, 'exec', {
        sql: `CREATE TABLE ${table} (id BIGINT PRIMARY KEY, name VARCHAR(20), price DECIMAL(6,2), ratio DOUBLE, ok TINYINT(1), raw VARBINARY(4), at DATETIME(3), day DATE, doc JSON)`,
      });
      assert.equal(created?.metadata?.['rows-affected'], '0');
      assert.equal(created?.data, undefined);
      const inserted = await call(binding, 'exec', {
        sql: `INSERT INTO ${table} VALUES (?, ?, ?, ?, ?, UNHEX('00FF'), ?, ?, ?), (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
        params: JSON.stringify(['9007199254740993', 'Ada', '12.50', 0.25, 1, '2024-01-02 03:04:05.120', '2024-01-02', '{"a": [1, 2]}']),
      });
      assert.equal(inserted?.metadata?.['rows-affected'], '2');
      assert.equal(inserted?.metadata?.operation, 'exec');
      assert.match(inserted?.metadata?.duration ?? '', /^\d+(\.\d+)?(ns|µs|ms|s)$/);
      const unchanged = await call(binding, 'exec', { sql: `UPDATE ${table} SET name = 'Ada' WHERE id = 9007199254740993` });
      assert.equal(unchanged?.metadata?.['rows-affected'], '0');
    });

    it('query answers an array of objects keyed by column, NULL columns left out, numbers exact', async () => {
      const response = await call(binding, 'query', { sql: `SELECT * FROM ${table} ORDER BY id DESC` });
      assert.equal(body(response), '[{"id":9007199254740993,"name":"Ada","price":"12.50","ratio":0.25,"ok":1,"raw":"AP8=","at":"2024-01-02T03:04:05.12Z","day":"2024-01-02T00:00:00Z","doc":"{\\"a\\": [1, 2]}"},{"id":2}]');
      assert.equal(response?.metadata?.operation, 'query');
    });

    it('query with params; no rows answers null, as Dapr does', async () => {
      assert.equal(body(await call(binding, 'query', { sql: `SELECT name FROM ${table} WHERE id = ?`, params: '["9007199254740993"]' })), '[{"name":"Ada"}]');
      assert.equal(body(await call(binding, 'query', { sql: `SELECT name FROM ${table} WHERE id = ?`, params: '[-1]' })), 'null');
    });

    it('refuses calls without sql or with bad params, and reports SQL errors', async () => {
      await assert.rejects(call(binding, 'exec', {}), /required metadata not set: sql/);
      await assert.rejects(call(binding, 'query', { sql: 'SELECT 1', params: 'nope' }), /invalid metadata property params/);
      await assert.rejects(call(binding, 'query', { sql: 'SELECT * FROM no_such_table_here' }), /error executing query: .*no_such_table_here/);
    });

    it('close ends the connections; the next call opens new ones', async () => {
      assert.equal(await call(binding, 'close', {}), undefined);
      assert.equal(body(await call(binding, 'query', { sql: 'SELECT 1 AS one' })), '[{"one":1}]');
    });

    it('init fails naming the server when it cannot connect', async () => {
      await assert.rejects(new MysqlBinding().init(testContext({ url: 'root:@tcp(127.0.0.1:1)/' })), /cannot connect to MySQL at root@127\.0\.0\.1:1\/: .*ECONNREFUSED/);
    });
  });
}
