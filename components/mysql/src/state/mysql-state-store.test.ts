import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EtagMismatchError } from '@outrigger/components-api';
import { runStateConformance } from '@outrigger/components-api/conformance';
import { waitFor } from '@outrigger/kit';
import type mysql from 'mysql2/promise';
import { adminConnection, mysqlUnavailable, skipAll, TEST_DSN, testContext, uniqueName } from '../testing/server.js';
import { MysqlStateStore } from './mysql-state-store.js';

const unavailable = await mysqlUnavailable();
const tables: string[] = [];
const schemas: string[] = [];
const tableOf = new WeakMap<MysqlStateStore, string>();

async function openStore(metadata: Record<string, string> = {}): Promise<MysqlStateStore> {
  const tableName = metadata.tableName ?? uniqueName('state');
  const metadataTableName = `${tableName}_meta`;
  tables.push(tableName, metadataTableName);
  const store = new MysqlStateStore();
  await store.init(testContext({ connectionString: TEST_DSN, schemaName: 'test', ...metadata, tableName, metadataTableName }));
  tableOf.set(store, tableName);
  return store;
}

const json = (value: unknown) => new Uint8Array(Buffer.from(JSON.stringify(value)));
const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('utf8');

if (unavailable) {
  skipAll('state.mysql', unavailable);
} else {
  after(async () => {
    const admin = await adminConnection();
    try {
      for (const table of tables) await admin.query(`DROP TABLE IF EXISTS test.${table}`);
      for (const schema of schemas) await admin.query(`DROP DATABASE IF EXISTS ${schema}`);
    } finally {
      await admin.end();
    }
  });

  runStateConformance({
    name: 'state.mysql',
    create: () => openStore(),
    skip: [{ test: 'set with a malformed etag fails with EtagInvalidError', reason: "Dapr's MySQL ETags are free-form UUID text: any other ETag is a mismatch (409), as in Dapr" }],
  });

  describe('state.mysql', () => {
    let store: MysqlStateStore;
    let table = '';
    let admin: mysql.Connection;
    before(async () => {
      store = await openStore();
      table = tableOf.get(store) as string;
      admin = await adminConnection();
    });
    after(async () => {
      await store.close();
      await admin.end();
    });

    it('keys differing only in case or trailing spaces are different items', async () => {
      await store.set({ key: 'Key', value: json('upper') });
      await store.set({ key: 'key', value: json('lower') });
      await store.set({ key: 'key ', value: json('space') });
      assert.equal(text((await store.get({ key: 'Key' }))?.value), '"upper"');
      assert.equal(text((await store.get({ key: 'key' }))?.value), '"lower"');
      assert.equal(text((await store.get({ key: 'key ' }))?.value), '"space"');
    });

    it('a key longer than the id column fails instead of being cut short', async () => {
      await assert.rejects(store.set({ key: 'k'.repeat(256), value: json(1) }), /too long/i);
      assert.equal(await store.get({ key: 'k'.repeat(255) }), undefined);
    });

    it('stores JSON as text and other bytes as a base64 JSON string, like Dapr', async () => {
      await store.set({ key: 'doc', value: json({ a: 1 }) });
      await store.set({ key: 'bin', value: Uint8Array.from([0xff, 0x00]) });
      const [rows] = await admin.query<mysql.RowDataPacket[]>(`SELECT id, value, isbinary, LENGTH(eTag) AS etagLength FROM test.${table} WHERE id IN ('doc', 'bin') ORDER BY id`);
      assert.deepEqual(rows.map((row) => ({ ...row })), [
        { id: 'bin', value: '"/wA="', isbinary: 1, etagLength: 36 },
        { id: 'doc', value: '{"a":1}', isbinary: 0, etagLength: 36 },
      ]);
    });

    it('an expired row is invisible, can be first-written again, and is removed by the clean-up', async () => {
      await store.set({ key: 'old', value: json('x'), metadata: { ttlInSeconds: '100' } });
      const etag = (await store.get({ key: 'old' }))?.etag;
      await admin.query(`UPDATE test.${table} SET expiredate = CURRENT_TIMESTAMP - INTERVAL 1 MINUTE WHERE id = 'old'`);
      assert.equal(await store.get({ key: 'old' }), undefined);
      await assert.rejects(store.set({ key: 'old', value: json('y'), etag }), EtagMismatchError);
      await store.set({ key: 'old', value: json('y'), options: { concurrency: 'first-write' } });
      assert.equal(text((await store.get({ key: 'old' }))?.value), '"y"');
      await assert.rejects(store.set({ key: 'old', value: json('z'), options: { concurrency: 'first-write' } }), EtagMismatchError);
      await store.set({ key: 'gone', value: json('z'), metadata: { ttlInSeconds: '100' } });
      await admin.query(`UPDATE test.${table} SET expiredate = CURRENT_TIMESTAMP - INTERVAL 1 MINUTE WHERE id = 'gone'`);
      assert.ok(((await store.cleanupExpired()) ?? 0) >= 1, 'the first clean-up deletes');
      const [left] = await admin.query<mysql.RowDataPacket[]>(`SELECT id FROM test.${table} WHERE id = 'gone'`);
      assert.equal(left.length, 0);
      assert.equal(await store.cleanupExpired(), undefined, 'a second clean-up within the interval is skipped');
    });

    it('creates the schema when it is missing, as Dapr does', async () => {
      const schemaName = uniqueName('schema');
      schemas.push(schemaName);
      const created = new MysqlStateStore();
      await created.init(testContext({ connectionString: TEST_DSN, schemaName, cleanupInterval: '0' }));
      try {
        await created.set({ key: 'k', value: json(1) });
        const [rows] = await admin.query<mysql.RowDataPacket[]>(`SELECT value FROM ${schemaName}.state WHERE id = 'k'`);
        assert.equal(rows[0]?.value, '1');
      } finally {
        await created.close();
      }
    });

    it('the clean-up timer runs on its interval', async () => {
      const timed = await openStore({ cleanupIntervalInSeconds: '1' });
      try {
        await timed.set({ key: 'soon', value: json(1), metadata: { ttlInSeconds: '1' } });
        await waitFor('the expired row to be deleted', async () => {
          const [rows] = await admin.query<mysql.RowDataPacket[]>(`SELECT id FROM test.${tableOf.get(timed)} WHERE id = 'soon'`);
          return rows.length === 0;
        }, 10_000, 100);
      } finally {
        await timed.close();
      }
    });
  });

  describe('state.mysql init', () => {
    it('fails with a message naming the server when it cannot connect', async () => {
      const store = new MysqlStateStore();
      await assert.rejects(store.init(testContext({ connectionString: 'root:@tcp(127.0.0.1:1)/' })), /cannot connect to MySQL at root@127\.0\.0\.1:1\/: .*ECONNREFUSED/);
      await store.close();
    });

    it('refuses names that are not plain identifiers, and a missing connection string', async () => {
      await assert.rejects(new MysqlStateStore().init(testContext({ connectionString: TEST_DSN, tableName: 'a-b' })), /tableName 'a-b' is not valid/);
      await assert.rejects(new MysqlStateStore().init(testContext({})), /missing connection string/);
    });
  });
}
