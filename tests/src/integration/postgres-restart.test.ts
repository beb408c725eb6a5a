// A private PostgreSQL that crashes and comes back under a running sidecar: calls during the outage
// fail fast with Dapr's error codes, calls afterwards succeed without restarting the sidecar, the data
// saved before is intact, and configuration subscriptions LISTEN again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { waitFor } from '@outrigger/kit';
import { privateServerUnavailable, startPrivatePostgres, type PrivateServer } from '../harness/database-servers.js';
import { call, errorOf } from '../harness/http.js';
import { freePort, writeFile } from '../harness/processes.js';
import { startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';
import { componentYaml } from '../harness/sql-services.js';

/** How long one call may take while the server is down; connection refusals answer far sooner. */
const OUTAGE_CALL_BOUND_MS = 10_000;

/** Dapr's documented trigger: every change of the table is sent on channel `config` as {table, action, data}. */
const CONFIG_TRIGGER = `
CREATE TABLE settings (key VARCHAR NOT NULL PRIMARY KEY, value VARCHAR NOT NULL, version VARCHAR NOT NULL, metadata JSON);
CREATE FUNCTION settings_notify() RETURNS TRIGGER AS $$
  DECLARE data json;
  BEGIN
    IF (TG_OP = 'DELETE') THEN data = row_to_json(OLD); ELSE data = row_to_json(NEW); END IF;
    PERFORM pg_notify('config', json_build_object('table', TG_TABLE_NAME, 'action', TG_OP, 'data', data)::text);
    RETURN NULL;
  END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER settings_trigger AFTER INSERT OR UPDATE OR DELETE ON settings FOR EACH ROW EXECUTE PROCEDURE settings_notify();`;

describe('PostgreSQL components survive a server restart', { skip: privateServerUnavailable('postgres') }, () => {
  const dir = tempDir('outrigger-pg-restart-');
  let server: PrivateServer;
  let sidecar: SidecarHandle;
  let client: DaprClient;
  let app: Server;
  const updates: { items: Record<string, { value?: string; version?: string }> }[] = [];

  before(async () => {
    server = await startPrivatePostgres();
    server.sql(CONFIG_TRIGGER);
    const connectionString = `host=127.0.0.1 port=${server.port} user=postgres database=postgres`;
    const resources = join(dir.path, 'resources');
    writeFile(join(resources, 'components.yaml'),
      componentYaml('pgstate', 'state.postgresql', { connectionString, timeout: '5s' })
      + componentYaml('pgsql', 'bindings.postgresql', { connectionString })
      + componentYaml('pgconfig', 'configuration.postgresql', { connectionString, table: 'settings', notifyChannel: 'config' }));
    const appPort = await freePort();
    app = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (req.method === 'POST') updates.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as (typeof updates)[number]);
      res.writeHead(200).end();
    });
    await new Promise<void>((resolve) => app.listen(appPort, '127.0.0.1', resolve));
    sidecar = await startRun({ appId: 'pg-restart', resourcesPath: resources, home: join(dir.path, 'home'), mode: 'sidecar', appPort, waitForApp: true });
    client = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(sidecar.httpPort), communicationProtocol: CommunicationProtocolEnum.HTTP, logger: { level: LogLevel.Error } });
    await client.start();
  });

  after(async () => {
    await client?.stop();
    await sidecar?.stop();
    await new Promise<void>((resolve) => (app ? app.close(() => resolve()) : resolve()));
    await server?.dispose();
    dir.cleanup();
  });

  it('fails calls during the outage with Dapr errors, then works again with the data intact', async (context) => {
    const subscribed = await call('GET', `${sidecar.baseUrl}/v1.0/configuration/pgconfig/subscribe?key=flag`);
    assert.equal(subscribed.status, 200, subscribed.text);
    assert.equal((await client.state.save('pgstate', [{ key: 'before', value: { saved: 'before the crash' } }])).error, undefined);

    await server.kill();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const started = Date.now();
      const save = await call('POST', `${sidecar.baseUrl}/v1.0/state/pgstate`, [{ key: `during-${attempt}`, value: attempt }]);
      const elapsed = Date.now() - started;
      assert.equal(save.status, 500, save.text);
      assert.equal(errorOf(save).errorCode, 'ERR_STATE_SAVE');
      assert.ok(elapsed < OUTAGE_CALL_BOUND_MS, `a save during the outage answered in ${elapsed} ms`);
    }
    const get = await call('GET', `${sidecar.baseUrl}/v1.0/state/pgstate/before`);
    assert.equal(errorOf(get).errorCode, 'ERR_STATE_GET');
    const binding = await call('POST', `${sidecar.baseUrl}/v1.0/bindings/pgsql`, { operation: 'query', metadata: { sql: 'SELECT 1' } });
    assert.equal(errorOf(binding).errorCode, 'ERR_INVOKE_OUTPUT_BINDING');

    await server.start();
    await waitFor('a save to succeed after the restart', async () => {
      const save = await call('POST', `${sidecar.baseUrl}/v1.0/state/pgstate`, [{ key: 'after', value: 'after the restart' }]);
      return save.status === 204;
    }, 30_000, 200);
    assert.deepEqual(await client.state.get('pgstate', 'before'), { saved: 'before the crash' });
    assert.equal(await client.state.get('pgstate', 'after'), 'after the restart');
    assert.equal(await client.state.get('pgstate', 'during-0'), '', 'a failed save left nothing behind');
    assert.deepEqual(await client.binding.send('pgsql', 'query', undefined, { sql: 'SELECT 1' }), [[1]]);

    // The LISTEN session died with the server; a change is delivered once it is re-established.
    // Each attempt writes a new version, so the wait ends with the first one delivered.
    let version = 0;
    await waitFor('a configuration change after the restart', () => {
      version += 1;
      server.sql(`INSERT INTO settings VALUES ('flag', 'on', '${version}', NULL) ON CONFLICT (key) DO UPDATE SET version = excluded.version`);
      return updates.some((update) => update.items.flag?.value === 'on');
    }, 30_000, 250);
    context.diagnostic(`configuration change delivered after ${version} write(s)`);
  });
});
