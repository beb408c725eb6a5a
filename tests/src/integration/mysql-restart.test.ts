// A private MariaDB that crashes (SIGKILL) and comes back under a running sidecar: saves during the
// outage fail fast with ERR_STATE_SAVE, saves afterwards succeed without restarting the sidecar, and
// the data saved before is intact.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { waitFor } from '@outrigger/kit';
import { privateServerUnavailable, startPrivateMariadb, type PrivateServer } from '../harness/database-servers.js';
import { call, errorOf } from '../harness/http.js';
import { writeFile } from '../harness/processes.js';
import { startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';
import { componentYaml } from '../harness/sql-services.js';

/** How long one call may take while the server is down; connection refusals answer far sooner. */
const OUTAGE_CALL_BOUND_MS = 10_000;

describe('MySQL/MariaDB components survive a server restart', { skip: privateServerUnavailable('mariadb') }, () => {
  const dir = tempDir('outrigger-mariadb-restart-');
  let server: PrivateServer;
  let sidecar: SidecarHandle;
  let client: DaprClient;

  before(async () => {
    server = await startPrivateMariadb();
    const dsn = `root:@tcp(127.0.0.1:${server.port})/`;
    const resources = join(dir.path, 'resources');
    writeFile(join(resources, 'components.yaml'),
      componentYaml('mystate', 'state.mysql', { connectionString: `${dsn}?allowNativePasswords=true`, timeoutInSeconds: '5' })
      + componentYaml('mysql', 'bindings.mysql', { url: `${dsn}dapr_state_store` }));
    sidecar = await startRun({ appId: 'mariadb-restart', resourcesPath: resources, home: join(dir.path, 'home'), mode: 'sidecar' });
    client = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(sidecar.httpPort), communicationProtocol: CommunicationProtocolEnum.HTTP, logger: { level: LogLevel.Error } });
    await client.start();
  });

  after(async () => {
    await client?.stop();
    await sidecar?.stop();
    await server?.dispose();
    dir.cleanup();
  });

  it('fails calls during the outage with Dapr errors, then works again with the data intact', async () => {
    assert.equal((await client.state.save('mystate', [{ key: 'before', value: { saved: 'before the crash' } }])).error, undefined);

    await server.kill();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const started = Date.now();
      const save = await call('POST', `${sidecar.baseUrl}/v1.0/state/mystate`, [{ key: `during-${attempt}`, value: attempt }]);
      const elapsed = Date.now() - started;
      assert.equal(save.status, 500, save.text);
      assert.equal(errorOf(save).errorCode, 'ERR_STATE_SAVE');
      assert.ok(elapsed < OUTAGE_CALL_BOUND_MS, `a save during the outage answered in ${elapsed} ms`);
    }
    const transaction = await call('POST', `${sidecar.baseUrl}/v1.0/state/mystate/transaction`, { operations: [{ operation: 'upsert', request: { key: 'tx', value: 1 } }] });
    assert.equal(errorOf(transaction).errorCode, 'ERR_STATE_TRANSACTION');
    const binding = await call('POST', `${sidecar.baseUrl}/v1.0/bindings/mysql`, { operation: 'query', metadata: { sql: 'SELECT 1' } });
    assert.equal(errorOf(binding).errorCode, 'ERR_INVOKE_OUTPUT_BINDING');

    await server.start();
    await waitFor('a save to succeed after the restart', async () => {
      const save = await call('POST', `${sidecar.baseUrl}/v1.0/state/mystate`, [{ key: 'after', value: 'after the restart' }]);
      return save.status === 204;
    }, 30_000, 200);
    assert.deepEqual(await client.state.get('mystate', 'before'), { saved: 'before the crash' });
    assert.equal(await client.state.get('mystate', 'after'), 'after the restart');
    assert.equal(await client.state.get('mystate', 'during-0'), '', 'a failed save left nothing behind');
    await client.state.transaction('mystate', [{ operation: 'upsert', request: { key: 'tx', value: 2 } }]);
    assert.equal(await client.state.get('mystate', 'tx'), 2);
    await waitFor('the binding to answer again', async () => {
      const answer = await call('POST', `${sidecar.baseUrl}/v1.0/bindings/mysql`, { operation: 'query', metadata: { sql: 'SELECT 1 AS one' } });
      return answer.status === 200 && answer.text === '[{"one":1}]';
    }, 10_000, 100);
  });
});
