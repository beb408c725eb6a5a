// state.mysql and bindings.mysql through `outrigger run` and the official SDK (HTTP), on the shared
// MariaDB (127.0.0.1:3306, root without password, database test), with tables unique to this run.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { waitFor } from '@outrigger/kit';
import { call, errorOf } from '../harness/http.js';
import { writeFile } from '../harness/processes.js';
import { startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';
import { componentYaml, sharedServerUnavailable, uniqueTable } from '../harness/sql-services.js';

const DSN = 'root:@tcp(127.0.0.1:3306)/?allowNativePasswords=true';
const unavailable = await sharedServerUnavailable('MariaDB', 3306);
const unique = () => Math.random().toString(36).slice(2, 10);

interface BulkItem { key: string; data?: unknown; etag?: string }

describe('MySQL/MariaDB components through the official SDK (HTTP)', { skip: unavailable }, () => {
  const dir = tempDir('outrigger-mysql-');
  const stateTable = uniqueTable('sdk_state');
  const rowsTable = uniqueTable('sdk_rows');
  let sidecar: SidecarHandle;
  let client: DaprClient;

  before(async () => {
    const resources = join(dir.path, 'resources');
    writeFile(join(resources, 'components.yaml'),
      componentYaml('mystate', 'state.mysql', { connectionString: DSN, schemaName: 'test', tableName: stateTable, metadataTableName: `${stateTable}_meta` })
      + componentYaml('mysql', 'bindings.mysql', { url: 'root:@tcp(127.0.0.1:3306)/test' }));
    sidecar = await startRun({ appId: 'mysql-sdk', resourcesPath: resources, home: join(dir.path, 'home') });
    client = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(sidecar.httpPort), communicationProtocol: CommunicationProtocolEnum.HTTP, logger: { level: LogLevel.Error } });
    await client.start();
  });

  after(async () => {
    for (const table of [stateTable, `${stateTable}_meta`, rowsTable]) {
      await client?.binding.send('mysql', 'exec', undefined, { sql: `DROP TABLE IF EXISTS ${table}` }).catch(() => undefined);
    }
    await client?.stop();
    await sidecar?.stop();
    dir.cleanup();
  });

  it('saves, gets and deletes values of every JSON type, byte for byte on MariaDB', async () => {
    const key = unique();
    const values: unknown[] = [{ nested: { list: [1, 2] }, text: 'é😀' }, 'plain text', 42, true, [1, 'two']];
    assert.equal((await client.state.save('mystate', values.map((value, index) => ({ key: `${key}-${index}`, value })))).error, undefined);
    for (const [index, value] of values.entries()) assert.deepEqual(await client.state.get('mystate', `${key}-${index}`), value);
    const raw = await call('GET', `${sidecar.baseUrl}/v1.0/state/mystate/${key}-0`);
    assert.equal(raw.text, JSON.stringify(values[0]));
    assert.equal((await client.state.delete('mystate', `${key}-0`)).error, undefined);
    assert.equal(await client.state.get('mystate', `${key}-0`), '');
  });

  it('honours UUID ETags: a stale or made-up ETag is a 409 mismatch', async () => {
    const key = unique();
    await client.state.save('mystate', [{ key, value: 1 }]);
    const [first] = await client.state.getBulk('mystate', [key]) as unknown as BulkItem[];
    assert.match(first?.etag ?? '', /^[0-9a-f-]{36}$/);
    assert.equal((await client.state.save('mystate', [{ key, value: 2, etag: first?.etag }])).error, undefined);
    const stale = await call('POST', `${sidecar.baseUrl}/v1.0/state/mystate`, [{ key, value: 3, etag: first?.etag }]);
    assert.equal(stale.status, 409);
    assert.equal(errorOf(stale).errorCode, 'ERR_STATE_SAVE');
    const madeUp = await call('POST', `${sidecar.baseUrl}/v1.0/state/mystate`, [{ key, value: 3, etag: 'not-a-uuid' }]);
    assert.equal(madeUp.status, 409);
    assert.equal(await client.state.get('mystate', key), 2);
  });

  it('runs transactions all or nothing, and first-write', async () => {
    const key = unique();
    await client.state.save('mystate', [{ key: `${key}-gone`, value: 'x' }, { key: `${key}-kept`, value: 'before' }]);
    await client.state.transaction('mystate', [
      { operation: 'upsert', request: { key: `${key}-new`, value: { made: true } } },
      { operation: 'delete', request: { key: `${key}-gone` } },
    ]);
    assert.deepEqual(await client.state.get('mystate', `${key}-new`), { made: true });
    assert.equal(await client.state.get('mystate', `${key}-gone`), '');
    await assert.rejects(client.state.transaction('mystate', [
      { operation: 'upsert', request: { key: `${key}-kept`, value: 'after' } },
      { operation: 'delete', request: { key: `${key}-new`, etag: 'stale' } as never },
    ]));
    assert.equal(await client.state.get('mystate', `${key}-kept`), 'before', 'the first operation was rolled back');
    const firstWrite = await call('POST', `${sidecar.baseUrl}/v1.0/state/mystate`, [{ key: `${key}-kept`, value: 'again', options: { concurrency: 'first-write' } }]);
    assert.equal(firstWrite.status, 409);
  });

  it('expires items saved with ttlInSeconds', async () => {
    const key = unique();
    await client.state.save('mystate', [{ key, value: 'brief', metadata: { ttlInSeconds: '1' } }]);
    assert.equal(await client.state.get('mystate', key), 'brief');
    await waitFor('the item to expire', async () => (await client.state.get('mystate', key)) === '', 5_000, 100);
  });

  it('runs SQL through the binding: exec answers rows-affected, query answers the rows as objects', async () => {
    await client.binding.send('mysql', 'exec', undefined, { sql: `CREATE TABLE ${rowsTable} (id INT PRIMARY KEY, name VARCHAR(20), price DECIMAL(5,2))` });
    const inserted = await call('POST', `${sidecar.baseUrl}/v1.0/bindings/mysql`, {
      operation: 'exec', metadata: { sql: `INSERT INTO ${rowsTable} VALUES (?, ?, ?), (?, ?, ?)`, params: JSON.stringify([1, 'one', '1.50', 2, null, '2']) },
    });
    assert.equal(inserted.status, 204);
    assert.equal(inserted.headers.get('metadata.rows-affected'), '2');
    const rows = await client.binding.send('mysql', 'query', undefined, { sql: `SELECT id, name, price FROM ${rowsTable} WHERE id >= ? ORDER BY id`, params: '[1]' });
    assert.deepEqual(rows, [{ id: 1, name: 'one', price: '1.50' }, { id: 2, price: '2.00' }]);
    await assert.rejects(client.binding.send('mysql', 'query', undefined, { sql: 'SELECT * FROM no_such_table_here' }), /ERR_INVOKE_OUTPUT_BINDING.*no_such_table_here/);
  });
});
