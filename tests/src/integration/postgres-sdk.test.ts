// state.postgresql and bindings.postgresql through `outrigger run` and the official SDK (HTTP),
// on the shared PostgreSQL (127.0.0.1:5432, database test), with tables unique to this run.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { waitFor } from '@outrigger/kit';
import { call, errorOf } from '../harness/http.js';
import { writeFile } from '../harness/processes.js';
import { startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';
import { componentYaml, sharedServerUnavailable, uniqueTable } from '../harness/sql-services.js';

const CONNECTION = 'host=127.0.0.1 port=5432 user=postgres database=test';
const unavailable = await sharedServerUnavailable('PostgreSQL', 5432);
const unique = () => Math.random().toString(36).slice(2, 10);

interface BulkItem { key: string; data?: unknown; etag?: string }

describe('PostgreSQL components through the official SDK (HTTP)', { skip: unavailable }, () => {
  const dir = tempDir('outrigger-postgres-');
  const stateTable = uniqueTable('sdk_state');
  const rowsTable = uniqueTable('sdk_rows');
  let sidecar: SidecarHandle;
  let client: DaprClient;

  before(async () => {
    const resources = join(dir.path, 'resources');
    writeFile(join(resources, 'components.yaml'),
      componentYaml('pgstate', 'state.postgresql', { connectionString: CONNECTION, tableName: stateTable, metadataTableName: `${stateTable}_meta` })
      + componentYaml('pgsql', 'bindings.postgres', { url: CONNECTION }));
    sidecar = await startRun({ appId: 'pg-sdk', resourcesPath: resources, home: join(dir.path, 'home') });
    client = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(sidecar.httpPort), communicationProtocol: CommunicationProtocolEnum.HTTP, logger: { level: LogLevel.Error } });
    await client.start();
  });

  after(async () => {
    for (const table of [stateTable, `${stateTable}_meta`, rowsTable]) {
      await client?.binding.send('pgsql', 'exec', undefined, { sql: `DROP TABLE IF EXISTS ${table}` }).catch(() => undefined);
    }
    await client?.stop();
    await sidecar?.stop();
    dir.cleanup();
  });

  it('saves, gets and deletes values of every JSON type, with ETags', async () => {
    const key = unique();
    const values: unknown[] = [{ nested: { list: [1, 2] }, text: 'é😀' }, 'plain text', 42, true, [1, 'two'], null];
    assert.equal((await client.state.save('pgstate', values.map((value, index) => ({ key: `${key}-${index}`, value })))).error, undefined);
    for (const [index, value] of values.entries()) {
      if (value !== null) assert.deepEqual(await client.state.get('pgstate', `${key}-${index}`), value);
    }
    const [first] = await client.state.getBulk('pgstate', [`${key}-2`]) as unknown as BulkItem[];
    assert.match(first?.etag ?? '', /^\d+$/, 'the ETag is the row\'s xmin');
    assert.equal((await client.state.save('pgstate', [{ key: `${key}-2`, value: 43, etag: first?.etag }])).error, undefined);
    assert.match(String((await client.state.save('pgstate', [{ key: `${key}-2`, value: 44, etag: first?.etag }])).error), /409/);
    assert.equal(await client.state.get('pgstate', `${key}-2`), 43);
    assert.equal((await client.state.delete('pgstate', `${key}-0`)).error, undefined);
    assert.equal(await client.state.get('pgstate', `${key}-0`), '');
  });

  it('answers Dapr\'s error codes on the wire: invalid ETag 400, mismatch 409', async () => {
    const key = unique();
    await client.state.save('pgstate', [{ key, value: 'v' }]);
    const invalid = await call('POST', `${sidecar.baseUrl}/v1.0/state/pgstate`, [{ key, value: 'w', etag: 'not-a-number' }]);
    assert.equal(invalid.status, 400);
    assert.equal(errorOf(invalid).errorCode, 'ERR_STATE_SAVE');
    const mismatch = await call('POST', `${sidecar.baseUrl}/v1.0/state/pgstate`, [{ key, value: 'w', etag: '1' }]);
    assert.equal(mismatch.status, 409);
    assert.equal(errorOf(mismatch).errorCode, 'ERR_STATE_SAVE');
  });

  it('runs transactions all or nothing', async () => {
    const key = unique();
    await client.state.save('pgstate', [{ key: `${key}-gone`, value: 'x' }, { key: `${key}-kept`, value: 'before' }]);
    await client.state.transaction('pgstate', [
      { operation: 'upsert', request: { key: `${key}-new`, value: { made: true } } },
      { operation: 'delete', request: { key: `${key}-gone` } },
    ]);
    assert.deepEqual(await client.state.get('pgstate', `${key}-new`), { made: true });
    assert.equal(await client.state.get('pgstate', `${key}-gone`), '');
    await assert.rejects(client.state.transaction('pgstate', [
      { operation: 'upsert', request: { key: `${key}-kept`, value: 'after' } },
      { operation: 'delete', request: { key: `${key}-new`, etag: '1' } as never },
    ]));
    assert.equal(await client.state.get('pgstate', `${key}-kept`), 'before', 'the first operation was rolled back');
  });

  it('expires items saved with ttlInSeconds', async () => {
    const key = unique();
    await client.state.save('pgstate', [{ key, value: 'brief', metadata: { ttlInSeconds: '1' } }]);
    assert.equal(await client.state.get('pgstate', key), 'brief');
    await waitFor('the item to expire', async () => (await client.state.get('pgstate', key)) === '', 5_000, 100);
  });

  it('queries with the alpha1 query API: filters on JSON fields, sort and paging', async () => {
    const tag = unique();
    await client.state.save('pgstate', [1, 2, 3, 4].map((n) => ({ key: `${tag}${n}`, value: { tag, city: n % 2 ? 'Oslo' : 'Rome', n } })));
    const filtered = await client.state.query('pgstate', { filter: { AND: [{ EQ: { tag } }, { IN: { city: ['Rome', 'Lima'] } }] }, sort: [{ key: 'n', order: 'DESC' }], page: { limit: 10 } } as never);
    assert.deepEqual(filtered.results.map((item) => item.key), [`${tag}4`, `${tag}2`]);
    assert.deepEqual(filtered.results[0]?.data, { tag, city: 'Rome', n: 4 });
    const firstPage = await client.state.query('pgstate', { filter: { EQ: { tag } }, sort: [{ key: 'n' }], page: { limit: 3 } } as never);
    assert.deepEqual(firstPage.results.map((item) => item.key), [1, 2, 3].map((n) => `${tag}${n}`));
    assert.ok(firstPage.token, 'a token for the next page');
    const secondPage = await client.state.query('pgstate', { filter: { EQ: { tag } }, sort: [{ key: 'n' }], page: { limit: 3, token: firstPage.token } } as never);
    assert.deepEqual(secondPage.results.map((item) => item.key), [`${tag}4`]);
  });

  it('runs SQL through the binding: exec answers rows-affected, query answers the rows', async () => {
    await client.binding.send('pgsql', 'exec', undefined, { sql: `CREATE TABLE ${rowsTable} (id int PRIMARY KEY, name text, price numeric)` });
    const inserted = await call('POST', `${sidecar.baseUrl}/v1.0/bindings/pgsql`, {
      operation: 'exec', metadata: { sql: `INSERT INTO ${rowsTable} VALUES ($1, $2, $3), ($4, $5, $6)`, params: JSON.stringify([1, 'one', '1.50', 2, 'two', '2']) },
    });
    assert.equal(inserted.status, 204);
    assert.equal(inserted.headers.get('metadata.rows-affected'), '2');
    assert.equal(inserted.headers.get('metadata.operation'), 'exec');
    const rows = await client.binding.send('pgsql', 'query', undefined, { sql: `SELECT id, name, price FROM ${rowsTable} WHERE id >= $1 ORDER BY id`, params: '[1]' });
    assert.deepEqual(rows, [[1, 'one', 1.5], [2, 'two', 2]]);
    await assert.rejects(client.binding.send('pgsql', 'query', undefined, {}), /ERR_INVOKE_OUTPUT_BINDING.*required metadata not set: sql/);
  });
});
