import { randomUUID } from 'node:crypto';
import {
  EtagMismatchError, expiryFromMetadata, InvalidStateRequestError, ttlResponseMetadata,
  type ComponentContext, type DeleteRequest, type GetRequest, type SetRequest, type StateFeature, type StoredState,
  type TransactionalStateStore, type TransactionOperation,
} from '@outrigger/components-api';
import type { Logger } from '@outrigger/kit';
import type mysql from 'mysql2/promise';
import { openPool, reason } from '../pool.js';
import { cleanupExpired, ensureSchema, ensureTables } from './mysql-schema.js';
import { readStateSettings, type MysqlStateSettings } from './state-settings.js';
import { decodeValue, encodeValue, type EncodedValue } from './value-codec.js';

/** Server errors for a value the JSON column refuses (MariaDB's CHECK, MySQL's parser); such a value is stored as binary. */
const JSON_REFUSED = new Set([4025, 3140]);

/** Runs one statement: on a connection of the pool, or on the connection of a transaction. */
type Runner = <T extends mysql.RowDataPacket[] | mysql.ResultSetHeader>(options: mysql.QueryOptions) => Promise<T>;

/**
 * Errors after which a connection must not be reused: a statement that timed out is still running
 * on it (mysql2 leaves it there, and the next statement would queue behind it), or the connection broke.
 */
function connectionBroken(error: unknown): boolean {
  const failure = error as { fatal?: boolean; code?: string };
  return failure.fatal === true || failure.code === 'PROTOCOL_SEQUENCE_TIMEOUT';
}

/** A statement on a pooled connection that is closed instead of returned when it broke. */
function pooledRunner(pool: mysql.Pool): Runner {
  return async <T extends mysql.RowDataPacket[] | mysql.ResultSetHeader>(options: mysql.QueryOptions): Promise<T> => {
    const connection = await pool.getConnection();
    try {
      const [result] = await connection.query<T>(options);
      connection.release();
      return result;
    } catch (error) {
      if (connectionBroken(error)) connection.destroy();
      else connection.release();
      throw error;
    }
  };
}

function connectionRunner(connection: mysql.PoolConnection): Runner {
  return async <T extends mysql.RowDataPacket[] | mysql.ResultSetHeader>(options: mysql.QueryOptions): Promise<T> => {
    const [result] = await connection.query<T>(options);
    return result;
  };
}

interface Open {
  readonly pool: mysql.Pool;
  readonly settings: MysqlStateSettings;
  readonly logger: Logger;
}

/**
 * `state.mysql` for MySQL and MariaDB with Dapr's schema: a random UUID ETag per write, values in a
 * JSON column (binary values as a base64 JSON string with `isbinary`), TTL in `expiredate`.
 * ETags are free-form to Dapr's store, so a malformed one is a mismatch (409), never invalid.
 */
export class MysqlStateStore implements TransactionalStateStore {
  private open: Open | undefined;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private closed = false;

  async init(context: ComponentContext): Promise<void> {
    const settings = readStateSettings(context.metadata);
    const what = `state store ${context.name}`;
    // The schema may not exist yet: a first pool without a database creates it.
    const bootstrap = await openPool({ dsn: settings.dsn, extra: { connectionLimit: 1, connectTimeout: settings.timeoutMs } }, context.logger, what);
    try {
      await ensureSchema(bootstrap, settings.schemaName, context.logger);
    } finally {
      await bootstrap.end().catch(() => undefined);
    }
    const pool = await openPool({
      dsn: settings.dsn,
      database: settings.schemaName,
      // A key longer than the id column must fail, never be cut short (non-strict servers truncate).
      onConnect: ["SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',STRICT_ALL_TABLES')"],
      extra: { connectTimeout: settings.timeoutMs, jsonStrings: true },
    }, context.logger, what);
    this.open = { pool, settings, logger: context.logger };
    try {
      if (this.closed) throw new Error('closed during init');
      await ensureTables(pool, settings.schemaName, settings.tableName, settings.metadataTableName, context.logger);
    } catch (error) {
      await this.close();
      throw new Error(`${what}: cannot prepare table ${settings.schemaName}.${settings.tableName}: ${reason(error)}`, { cause: error });
    }
    if (settings.cleanupIntervalMs !== undefined) {
      this.cleanupTimer = setInterval(() => void this.runCleanup(), settings.cleanupIntervalMs);
      this.cleanupTimer.unref();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.cleanupTimer) clearInterval(this.cleanupTimer);
    this.cleanupTimer = undefined;
    const open = this.open;
    this.open = undefined;
    await open?.pool.end();
  }

  features(): readonly StateFeature[] {
    return ['ETAG', 'TRANSACTIONAL', 'TTL'];
  }

  async get(request: GetRequest): Promise<StoredState | undefined> {
    const { pool, settings } = this.opened();
    const rows = await pooledRunner(pool)<mysql.RowDataPacket[]>({
      sql: `SELECT value, eTag, isbinary, UNIX_TIMESTAMP(expiredate) AS expires FROM ${settings.tableName}
            WHERE id = ? AND (expiredate IS NULL OR expiredate > CURRENT_TIMESTAMP(6))`,
      values: [request.key],
      timeout: settings.timeoutMs,
    });
    const row = rows[0];
    if (!row) return undefined;
    const metadata = ttlResponseMetadata(row.expires === null ? undefined : Number(row.expires) * 1000);
    return { value: decodeValue(row.value as string | Buffer, Boolean(row.isbinary)), etag: String(row.eTag), ...(metadata ? { metadata } : {}) };
  }

  async set(request: SetRequest): Promise<void> {
    await this.write(pooledRunner(this.opened().pool), { operation: 'upsert', request });
  }

  async delete(request: DeleteRequest): Promise<void> {
    await this.write(pooledRunner(this.opened().pool), { operation: 'delete', request });
  }

  /** All operations in one transaction on one connection: the first failure rolls back everything. */
  async transact(operations: readonly TransactionOperation[]): Promise<void> {
    if (operations.length === 0) return;
    for (const operation of operations) validate(operation);
    const connection = await this.opened().pool.getConnection();
    let healthy = true;
    try {
      await connection.beginTransaction();
      for (const operation of operations) await this.write(connectionRunner(connection), operation);
      await connection.commit();
    } catch (error) {
      // A broken connection is closed without a ROLLBACK, which would wait behind the stuck statement;
      // the server rolls back a transaction whose connection ends.
      healthy = !connectionBroken(error) && await connection.rollback().then(() => true, () => false);
      throw error;
    } finally {
      if (healthy) connection.release();
      else connection.destroy();
    }
  }

  /** Deletes expired rows now if no sidecar did within the interval. @returns rows deleted, or undefined when skipped. */
  async cleanupExpired(): Promise<number | undefined> {
    const { pool, settings } = this.opened();
    return cleanupExpired(pool, settings.tableName, settings.metadataTableName, settings.cleanupIntervalMs ?? 0);
  }

  private async write(runner: Runner, operation: TransactionOperation): Promise<void> {
    const { settings } = this.opened();
    const { key, etag, expiresInSeconds, encoded } = validate(operation);
    const table = settings.tableName;
    const run = async (sql: string, values: unknown[]) => (await runner<mysql.ResultSetHeader>({ sql, values, timeout: settings.timeoutMs })).affectedRows;
    if (operation.operation === 'delete') {
      const affected = etag === undefined
        ? await run(`DELETE FROM ${table} WHERE id = ?`, [key])
        : await run(`DELETE FROM ${table} WHERE id = ? AND eTag = ?`, [key, etag]);
      if (etag !== undefined && affected !== 1) throw new EtagMismatchError(`rows affected error: no rows match given key and eTag`);
      return;
    }
    const expiry = expiresInSeconds === undefined ? 'NULL' : `CURRENT_TIMESTAMP(6) + INTERVAL ${expiresInSeconds} SECOND`;
    const firstWrite = operation.request.options?.concurrency === 'first-write';
    const attempt = async (value: EncodedValue): Promise<number> => {
      const newEtag = randomUUID();
      if (etag !== undefined) {
        return run(`UPDATE ${table} SET value = ?, eTag = ?, isbinary = ?, expiredate = ${expiry}
          WHERE id = ? AND eTag = ? AND (expiredate IS NULL OR expiredate > CURRENT_TIMESTAMP(6))`, [value.json, newEtag, value.isBinary, key, etag]);
      }
      if (firstWrite) {
        // Only an expired row may be replaced; `expiredate` is assigned last, as the other assignments test it.
        const stale = 'expiredate IS NOT NULL AND expiredate <= CURRENT_TIMESTAMP(6)';
        return run(`INSERT INTO ${table} (id, value, eTag, isbinary, expiredate) VALUES (?, ?, ?, ?, ${expiry})
          ON DUPLICATE KEY UPDATE value = IF(${stale}, VALUES(value), value), eTag = IF(${stale}, VALUES(eTag), eTag),
          isbinary = IF(${stale}, VALUES(isbinary), isbinary), expiredate = IF(${stale}, VALUES(expiredate), expiredate)`,
        [key, value.json, newEtag, value.isBinary]);
      }
      return run(`INSERT INTO ${table} (id, value, eTag, isbinary, expiredate) VALUES (?, ?, ?, ?, ${expiry})
        ON DUPLICATE KEY UPDATE value = VALUES(value), eTag = VALUES(eTag), isbinary = VALUES(isbinary), expiredate = VALUES(expiredate)`,
      [key, value.json, newEtag, value.isBinary]);
    };
    let affected: number;
    try {
      affected = await attempt(encoded as EncodedValue);
    } catch (error) {
      // A failed statement does not end a MySQL transaction, so the retry may run inside one.
      if ((encoded as EncodedValue).isBinary || !JSON_REFUSED.has((error as { errno?: number }).errno ?? 0)) throw error;
      affected = await attempt(encodeValue(operation.request.value, true));
    }
    if (affected === 0 && (etag !== undefined || firstWrite)) throw new EtagMismatchError('rows affected error: no rows match given key and eTag');
  }

  private async runCleanup(): Promise<void> {
    const open = this.open;
    if (!open) return;
    try {
      const deleted = await this.cleanupExpired();
      if (deleted) open.logger.debug(`deleted ${deleted} expired state rows`);
    } catch (error) {
      open.logger.warn(`failed to delete expired state rows: ${reason(error)}`);
    }
  }

  private opened(): Open {
    if (!this.open) throw new Error('mysql state store is not initialised');
    return this.open;
  }
}

function validate(operation: TransactionOperation): { key: string; etag: string | undefined; expiresInSeconds: number | undefined; encoded: EncodedValue | undefined } {
  const { request } = operation;
  if (!request.key) throw new InvalidStateRequestError(`missing key in ${operation.operation === 'delete' ? 'delete' : 'set'} operation`);
  const etag = request.etag === undefined || request.etag === '' ? undefined : request.etag;
  if (operation.operation === 'delete') return { key: request.key, etag, expiresInSeconds: undefined, encoded: undefined };
  if (operation.operation !== 'upsert') throw new InvalidStateRequestError(`unsupported operation: ${String((operation as { operation: unknown }).operation)}`);
  const now = Date.now();
  const expiresAt = expiryFromMetadata(request.metadata, now);
  return {
    key: request.key, etag,
    expiresInSeconds: expiresAt === undefined ? undefined : Math.round((expiresAt - now) / 1000),
    encoded: encodeValue(operation.request.value),
  };
}
