import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ConfigurationUpdate } from '@outrigger/components-api';
import { runConfigurationConformance } from '@outrigger/components-api/conformance';
import { waitFor } from '@outrigger/kit';
import type pg from 'pg';
import { createConfigurationTable, dropConfigurationTable, sqlConfigurationWriter } from '../testing/configuration-table.js';
import { adminClient, postgresUnavailable, skipAll, TEST_CONNECTION_STRING, testContext, uniqueTable } from '../testing/server.js';
import { PostgresConfigurationStore } from './postgres-configuration-store.js';

const unavailable = await postgresUnavailable();

async function openStore(metadata: Record<string, string>): Promise<PostgresConfigurationStore> {
  const store = new PostgresConfigurationStore();
  await store.init(testContext({ connectionString: TEST_CONNECTION_STRING, ...metadata }));
  return store;
}

if (unavailable) {
  skipAll('configuration.postgresql', unavailable);
} else {
  const admin: pg.Client = await adminClient();
  const conformanceTable = uniqueTable('config');
  const otherTable = uniqueTable('config_multi');
  await createConfigurationTable(admin, conformanceTable, conformanceTable);
  await createConfigurationTable(admin, otherTable, otherTable, false);
  after(async () => {
    await dropConfigurationTable(admin, conformanceTable);
    await dropConfigurationTable(admin, otherTable);
    await admin.end();
  });

  const writers: pg.Client[] = [];
  after(async () => {
    await Promise.all(writers.map((client) => client.end()));
  });

  runConfigurationConformance({
    name: 'configuration.postgresql',
    create: () => openStore({ table: conformanceTable, notifyChannel: conformanceTable }),
    createWriter: async () => sqlConfigurationWriter(await adminClient().then((client) => {
      writers.push(client);
      return client;
    }), conformanceTable),
  });
  describe('configuration.postgresql', () => {
    let store: PostgresConfigurationStore;
    before(async () => {
      store = await openStore({ table: otherTable });
    });
    after(() => store.close());

    it('get picks, of several rows with one key, the highest numeric version, as Dapr does', async () => {
      await admin.query(`INSERT INTO ${otherTable} VALUES ('k', 'v2', '2', '{"n": 1}'), ('k', 'v10', '10', NULL), ('k', 'vx', 'x', NULL)`);
      assert.deepEqual(await store.get(['k'], {}), { k: { value: 'v10', version: '10', metadata: {} } });
    });

    it('subscribe takes the channel from the request metadata pgNotifyChannel when the component names none', async () => {
      const updates: ConfigurationUpdate[] = [];
      const subscription = await store.subscribe(['watched'], { pgNotifyChannel: otherTable }, async (update) => {
        updates.push(update);
      });
      try {
        await admin.query(`INSERT INTO ${otherTable} VALUES ('watched', 'on', '3', '{"by": "ops", "n": 2}')`);
        await waitFor('the notification', () => updates.length === 1, 5000, 20);
        assert.deepEqual(updates[0]?.items, { watched: { value: 'on', version: '3', metadata: { by: 'ops', n: '2' } } });
      } finally {
        await subscription.close();
      }
    });

    it('refuses to subscribe without a channel, or with a channel Dapr does not allow', async () => {
      await assert.rejects(store.subscribe([], {}, async () => undefined), /notifyChannel must be set/);
      await assert.rejects(store.subscribe([], { pgNotifyChannel: 'Bad-Name' }, async () => undefined), /invalid notifyChannel name/);
    });

    it('init fails when the table does not exist, naming it', async () => {
      await assert.rejects(openStore({ table: 'no_such_configuration_table' }), /configuration table 'no_such_configuration_table' does not exist/);
    });

    it('init refuses table names Dapr refuses', async () => {
      await assert.rejects(openStore({ table: 'Upper' }), /invalid table name/);
      await assert.rejects(openStore({}), /table/);
    });
  });
}
