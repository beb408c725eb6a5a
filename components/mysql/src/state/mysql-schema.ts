import type { Logger } from '@outrigger/kit';
import type mysql from 'mysql2/promise';

/**
 * Binary collations without PAD SPACE, best first (MariaDB, then MySQL 8). Keys are compared byte
 * for byte, so `Key` and `key`, or `k` and `k ` (trailing space), are different items; with the
 * server's default collation, which Dapr's table inherits, they would overwrite each other.
 */
const KEY_COLLATIONS = ['utf8mb4_nopad_bin', 'utf8mb4_0900_bin', 'utf8mb4_bin'];

/** Creates the database (schema) when missing, on a connection opened without one. */
export async function ensureSchema(pool: mysql.Pool, schemaName: string, logger: Logger): Promise<void> {
  const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [schemaName]);
  if (rows.length > 0) return;
  logger.info(`creating MySQL schema ${schemaName}`);
  await pool.query(`CREATE DATABASE IF NOT EXISTS ${schemaName}`);
}

/**
 * Creates the state and metadata tables with Dapr's columns when missing, and adds `expiredate` to a
 * table made by Dapr before it had TTLs. Dapr later also adds a `row_id` column for its key listing;
 * a table with it works here unchanged.
 */
export async function ensureTables(pool: mysql.Pool, schemaName: string, table: string, metadataTable: string, logger: Logger): Promise<void> {
  if (!(await tableExists(pool, schemaName, table))) {
    logger.info(`creating MySQL state table ${table}`);
    const collation = await keyCollation(pool);
    await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (
      id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE ${collation} NOT NULL PRIMARY KEY,
      value JSON NOT NULL,
      isbinary BOOLEAN NOT NULL,
      insertDate TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
      updateDate TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
      eTag VARCHAR(36) NOT NULL,
      -- Microseconds, so a 1 s TTL written late in a second does not expire at the next second boundary.
      expiredate TIMESTAMP(6) NULL,
      INDEX expiredate_idx(expiredate)
    ) DEFAULT CHARSET=utf8mb4`);
  } else if (!(await columnExists(pool, schemaName, table, 'expiredate'))) {
    logger.info(`adding expiredate column to MySQL state table ${table}`);
    await pool.query(`ALTER TABLE ${table} ADD COLUMN expiredate TIMESTAMP(6) NULL`);
    await pool.query(`CREATE INDEX expiredate_idx ON ${table} (expiredate)`);
  }
  if (!(await tableExists(pool, schemaName, metadataTable))) {
    await pool.query(`CREATE TABLE IF NOT EXISTS ${metadataTable} (id VARCHAR(255) NOT NULL PRIMARY KEY, value TEXT NOT NULL) DEFAULT CHARSET=utf8mb4`);
  }
}

async function keyCollation(pool: mysql.Pool): Promise<string> {
  const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT COLLATION_NAME AS name FROM information_schema.COLLATIONS WHERE COLLATION_NAME IN (?)', [KEY_COLLATIONS]);
  const available = new Set(rows.map((row) => String(row.name)));
  return KEY_COLLATIONS.find((name) => available.has(name)) ?? 'utf8mb4_bin';
}

async function tableExists(pool: mysql.Pool, schemaName: string, table: string): Promise<boolean> {
  const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [schemaName, table]);
  return rows.length > 0;
}

async function columnExists(pool: mysql.Pool, schemaName: string, table: string, column: string): Promise<boolean> {
  const [rows] = await pool.query<mysql.RowDataPacket[]>(
    'SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?', [schemaName, table, column],
  );
  return rows.length > 0;
}

/**
 * Deletes expired rows unless another sidecar did within the interval: the `last-cleanup` row only
 * moves forward when it is old enough (Dapr's query), so sidecars sharing the table take turns.
 * @returns rows deleted, or undefined when it was not this sidecar's turn.
 */
export async function cleanupExpired(pool: mysql.Pool, table: string, metadataTable: string, intervalMs: number): Promise<number | undefined> {
  const [turn] = await pool.query<mysql.ResultSetHeader>(
    `INSERT INTO ${metadataTable} (id, value) VALUES ('last-cleanup', CURRENT_TIMESTAMP)
     ON DUPLICATE KEY UPDATE value = IF(CURRENT_TIMESTAMP > DATE_ADD(value, INTERVAL ?*1000 MICROSECOND), CURRENT_TIMESTAMP, value)`,
    [Math.max(0, intervalMs - 100)],
  );
  if (turn.affectedRows === 0) return undefined;
  const [deleted] = await pool.query<mysql.ResultSetHeader>(`DELETE FROM ${table} WHERE expiredate IS NOT NULL AND expiredate <= CURRENT_TIMESTAMP(6)`);
  return deleted.affectedRows;
}
