import type { Logger } from '@outrigger/kit';
import type pg from 'pg';
import { reason } from '../pool.js';

/** The key of the migration level in the metadata table, as Dapr's v1 store names it. */
const MIGRATIONS_KEY = 'migrations';
const LOCK_KEY = 'lock';
/**
 * What a CREATE TABLE IF NOT EXISTS can fail with when another connection creates the same table at
 * the same moment: the existence check passed, then the catalog insert collides. PostgreSQL reports it
 * as a unique violation on its catalog (23505), as the table's row type already existing (42710,
 * duplicate_object), or as the table already existing (42P07).
 */
const CREATED_CONCURRENTLY = new Set(['23505', '42710', '42P07']);

function createdConcurrently(error: unknown): boolean {
  return CREATED_CONCURRENTLY.has(String((error as { code?: unknown }).code));
}

/**
 * Dapr's migrations of the v1 state table, in Dapr's order, so that a database prepared by either
 * Dapr or Outrigger is accepted by the other: the level is the count of migrations done. Dapr has
 * added a third (a `row_id` column for its key-listing API); a level of 3 written by Dapr is
 * accepted as is, and Dapr adds the column itself to a table left at level 2 here.
 */
const MIGRATIONS: readonly ((client: pg.PoolClient, table: string) => Promise<void>)[] = [
  async (client, table) => {
    await ignoreConcurrentCreation(client.query(`CREATE TABLE IF NOT EXISTS ${table} (
      key text NOT NULL PRIMARY KEY,
      value jsonb NOT NULL,
      isbinary boolean NOT NULL,
      insertdate TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT NOW(),
      updatedate TIMESTAMP WITH TIME ZONE NULL
    )`));
  },
  async (client, table) => {
    await client.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS expiredate TIMESTAMP WITH TIME ZONE`);
  },
];

/**
 * Creates or upgrades the tables. Several sidecars may start at once: like Dapr, the metadata table
 * is created with IF NOT EXISTS (a concurrent creation can still fail, see CREATED_CONCURRENTLY, and is
 * retried), then a row lock on the `lock` row, held in a transaction, serialises the migrations.
 */
export async function migrate(pool: pg.Pool, table: string, metadataTable: string, logger: Logger): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      await pool.query(`CREATE TABLE IF NOT EXISTS ${metadataTable} (key text NOT NULL PRIMARY KEY, value text NOT NULL)`);
      break;
    } catch (error) {
      if (!createdConcurrently(error) || attempt >= 2) throw new Error(`failed to create metadata table ${metadataTable}: ${reason(error)}`);
    }
  }
  await pool.query(`INSERT INTO ${metadataTable} (key, value) VALUES ($1, 'lock') ON CONFLICT (key) DO NOTHING`, [LOCK_KEY]);
  const lock = await pool.connect();
  let failed: unknown;
  try {
    await lock.query('BEGIN');
    await lock.query(`SELECT value FROM ${metadataTable} WHERE key = $1 FOR UPDATE`, [LOCK_KEY]);
    const row = await lock.query<{ value: string }>(`SELECT value FROM ${metadataTable} WHERE key = $1`, [MIGRATIONS_KEY]);
    const level = row.rows[0] === undefined ? 0 : Number(row.rows[0].value);
    if (!Number.isInteger(level) || level < 0) throw new Error(`invalid migration level found in ${metadataTable}: ${row.rows[0]?.value}`);
    for (let index = level; index < MIGRATIONS.length; index += 1) {
      logger.info(`performing migration ${index + 1} of state table ${table}`);
      await (MIGRATIONS[index] as (typeof MIGRATIONS)[number])(lock, table);
      await lock.query(`INSERT INTO ${metadataTable} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = $2`, [MIGRATIONS_KEY, String(index + 1)]);
    }
    await lock.query('COMMIT');
  } catch (error) {
    failed = error;
    await lock.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    lock.release(failed instanceof Error ? failed : undefined);
  }
}

async function ignoreConcurrentCreation(query: Promise<unknown>): Promise<void> {
  try {
    await query;
  } catch (error) {
    if (!createdConcurrently(error)) throw error;
  }
}

/**
 * Deletes expired rows unless another sidecar did so less than one interval ago: the `last-cleanup`
 * row is updated only when it is old enough, as Dapr does, so sidecars sharing a table take turns.
 * @returns the number of rows deleted, or undefined when it was not this sidecar's turn.
 */
export async function cleanupExpired(pool: pg.Pool, table: string, metadataTable: string, intervalMs: number): Promise<number | undefined> {
  const turn = await pool.query(
    `INSERT INTO ${metadataTable} AS m (key, value) VALUES ('last-cleanup', now()::text)
     ON CONFLICT (key) DO UPDATE SET value = now()::text
     WHERE (EXTRACT('epoch' FROM now() - m.value::timestamp with time zone) * 1000)::bigint > $1`,
    [Math.max(0, intervalMs - 100)],
  );
  if (turn.rowCount === 0) return undefined;
  const deleted = await pool.query(`DELETE FROM ${table} WHERE expiredate IS NOT NULL AND expiredate < now()`);
  return deleted.rowCount ?? 0;
}
