import type { ConfigurationWriter } from '@outrigger/components-api/conformance';
import type pg from 'pg';

/**
 * Creates a configuration table, and the trigger that NOTIFYs `channel` on every change, as Dapr's
 * documentation tells users to (the payload `{"table", "action", "data": row}`).
 * `withPrimaryKey: false` keeps Dapr's documented table, where several rows may share a key.
 */
export async function createConfigurationTable(client: pg.Client, table: string, channel: string, withPrimaryKey = true): Promise<void> {
  await client.query(`CREATE TABLE ${table} (
    key VARCHAR NOT NULL${withPrimaryKey ? ' PRIMARY KEY' : ''}, value VARCHAR NOT NULL, version VARCHAR NOT NULL, metadata JSON)`);
  await client.query(`CREATE OR REPLACE FUNCTION ${table}_notify() RETURNS TRIGGER AS $$
    DECLARE
      data json;
      notification json;
    BEGIN
      IF (TG_OP = 'DELETE') THEN
        data = row_to_json(OLD);
      ELSE
        data = row_to_json(NEW);
      END IF;
      notification = json_build_object('table', TG_TABLE_NAME, 'action', TG_OP, 'data', data);
      PERFORM pg_notify('${channel}', notification::text);
      RETURN NULL;
    END;
  $$ LANGUAGE plpgsql`);
  await client.query(`CREATE TRIGGER ${table}_trigger AFTER INSERT OR UPDATE OR DELETE ON ${table}
    FOR EACH ROW EXECUTE PROCEDURE ${table}_notify()`);
}

/** Drops what createConfigurationTable made. */
export async function dropConfigurationTable(client: pg.Client, table: string): Promise<void> {
  await client.query(`DROP TABLE IF EXISTS ${table}`);
  await client.query(`DROP FUNCTION IF EXISTS ${table}_notify()`);
}

/** Writes items with plain SQL on its own connection, as an operator would. */
export function sqlConfigurationWriter(client: pg.Client, table: string): ConfigurationWriter {
  return {
    set: async (key, item) => {
      await client.query(
        `INSERT INTO ${table} (key, value, version, metadata) VALUES ($1, $2, $3, $4::json)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version, metadata = excluded.metadata`,
        [key, item.value, item.version ?? '', JSON.stringify(item.metadata ?? {})],
      );
    },
    delete: async (key) => {
      await client.query(`DELETE FROM ${table} WHERE key = $1`, [key]);
    },
    close: async () => undefined,
  };
}
