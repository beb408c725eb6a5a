import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { MetadataError, type ConfigurationUpdate } from '@outrigger/components-api';
import { runConfigurationConformance, type ConfigurationWriter } from '@outrigger/components-api/conformance';
import { waitFor } from '@outrigger/kit';
import { SqliteConfigurationStore } from './index.js';
import { testContext } from './testing/context.js';

const dir = mkdtempSync(join(tmpdir(), 'outrigger-configuration-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function openStore(metadata: Record<string, string>): Promise<SqliteConfigurationStore> {
  const store = new SqliteConfigurationStore();
  await store.init(testContext(metadata));
  return store;
}

/** Writes the table through its own connection, with plain SQL, as a user would. */
function sqlWriter(file: string, table = 'configuration'): ConfigurationWriter {
  const db = new Database(file);
  db.pragma('busy_timeout = 2000');
  const upsert = db.prepare(`INSERT INTO ${table} (key, value, version, metadata) VALUES (?, ?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version, metadata = excluded.metadata`);
  const remove = db.prepare(`DELETE FROM ${table} WHERE key = ?`);
  return {
    set: async (key, item) => {
      upsert.run(key, item.value, item.version ?? '', JSON.stringify(item.metadata ?? {}));
    },
    delete: async (key) => {
      remove.run(key);
    },
    close: async () => {
      db.close();
    },
  };
}

const conformanceFile = join(dir, 'conformance.db');
runConfigurationConformance({
  name: 'configuration.sqlite',
  // A short poll interval keeps the suite quick; the default is 250ms.
  create: () => openStore({ connectionString: conformanceFile, pollInterval: '20ms' }),
  createWriter: async () => sqlWriter(conformanceFile),
});

describe('configuration.sqlite', () => {
  it('delivers a change written by another OS process', async () => {
    const file = join(dir, 'other-process.db');
    const store = await openStore({ connectionString: file, pollInterval: '20ms' });
    const updates: ConfigurationUpdate[] = [];
    const subscription = await store.subscribe(['greeting'], {}, async (update) => {
      updates.push(update);
    });
    try {
      const betterSqlite = fileURLToPath(import.meta.resolve('better-sqlite3'));
      const script = `const D = require(${JSON.stringify(betterSqlite)}); const db = new D(${JSON.stringify(file)});
        db.prepare("INSERT INTO configuration (key, value, version) VALUES ('greeting', 'hello', '7')").run(); db.close();`;
      execFileSync(process.execPath, ['-e', script]);
      await waitFor('the update from the other process', () => updates.length > 0, 5000, 20);
      assert.deepEqual(updates[0], { id: subscription.id, items: { greeting: { value: 'hello', version: '7', metadata: {} } } });
    } finally {
      await subscription.close();
      await store.close();
    }
  });

  it('stamps updated_at on insert and on an update that does not set it', async () => {
    const file = join(dir, 'updated-at.db');
    const store = await openStore({ connectionString: file });
    const db = new Database(file);
    try {
      const stamp = (): string => (db.prepare("SELECT updated_at FROM configuration WHERE key = 'k'").get() as { updated_at: string }).updated_at;
      db.prepare("INSERT INTO configuration (key, value, updated_at) VALUES ('k', 'v1', '2000-01-01T00:00:00.000Z')").run();
      assert.equal(stamp(), '2000-01-01T00:00:00.000Z', 'a value the writer gives is kept');
      db.prepare("UPDATE configuration SET value = 'v2' WHERE key = 'k'").run();
      assert.ok(stamp() > '2020', `updated_at ${stamp()} was stamped`);
      const changes = db.prepare("SELECT COUNT(*) AS n FROM configuration_changes WHERE key = 'k'").get() as { n: number };
      assert.equal(changes.n, 2, 'one change per write, none for the stamp');
    } finally {
      db.close();
      await store.close();
    }
  });

  it('answers get with an error naming the key when its metadata is not a JSON object', async () => {
    const file = join(dir, 'bad-metadata.db');
    const store = await openStore({ connectionString: file });
    const db = new Database(file);
    try {
      db.prepare("INSERT INTO configuration (key, value, metadata) VALUES ('broken', 'v', '[1]')").run();
      db.prepare("INSERT INTO configuration (key, value, metadata) VALUES ('typed', 'v', '{\"n\": 1, \"s\": \"x\"}')").run();
      await assert.rejects(store.get(['broken'], {}), /metadata of key "broken" is not a JSON object/);
      assert.deepEqual((await store.get(['typed'], {})).typed?.metadata, { n: '1', s: 'x' });
    } finally {
      db.close();
      await store.close();
    }
  });

  it('uses the table named in metadata', async () => {
    const file = join(dir, 'named.db');
    const store = await openStore({ connectionString: file, table: 'app_settings' });
    const writer = sqlWriter(file, 'app_settings');
    try {
      await writer.set('a', { value: '1' });
      assert.deepEqual(await store.get([], {}), { a: { value: '1', version: '', metadata: {} } });
    } finally {
      await writer.close();
      await store.close();
    }
  });

  it('reports the offending metadata field', async () => {
    const field = async (metadata: Record<string, string>): Promise<string> => {
      const error = await new SqliteConfigurationStore().init(testContext(metadata)).then(() => undefined, (caught: unknown) => caught);
      assert.ok(error instanceof MetadataError, `expected a MetadataError for ${JSON.stringify(metadata)}, got ${String(error)}`);
      return error.field;
    };
    assert.equal(await field({}), 'connectionString');
    assert.equal(await field({ connectionString: ':memory:', table: 'a-b' }), 'table');
    assert.equal(await field({ connectionString: ':memory:', pollInterval: 'often' }), 'pollInterval');
  });
});
