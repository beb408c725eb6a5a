import {
  EtagInvalidError, EtagMismatchError, expiryFromMetadata, InvalidStateRequestError, ttlResponseMetadata,
  type ComponentContext, type DeleteRequest, type GetRequest, type QueryableStateStore, type QueryResponse,
  type SetRequest, type StateFeature, type StateQuery, type StoredState, type TransactionalStateStore, type TransactionOperation,
} from '@outrigger/components-api';
import type { Logger } from '@outrigger/kit';
import type pg from 'pg';
import { openPool, reason } from '../pool.js';
import { cleanupExpired, migrate } from './state-schema.js';
import { readStateSettings, type PostgresStateSettings } from './state-settings.js';
import { compileQuery } from './state-query.js';
import { decodeValue, encodeValue } from './value-codec.js';

/** Anything that runs a statement: the pool, or one connection inside a transaction. */
type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

interface Open {
  readonly pool: pg.Pool;
  readonly settings: PostgresStateSettings;
  readonly logger: Logger;
}

interface StateRow {
  readonly value: string;
  readonly isbinary: boolean;
  readonly etag: string;
  readonly expires_ms: string | null;
}

/**
 * `state.postgresql` v1 (alias `state.postgres`) on node-postgres, with Dapr's table, metadata table
 * and migrations, so Dapr and Outrigger can share a database. ETags are the row's `xmin` (the id of
 * the transaction that last wrote it), which PostgreSQL changes on every write: an ETag that is not an
 * unsigned 32-bit number is invalid (HTTP 400), any other that differs is a mismatch (409), as in Dapr.
 */
export class PostgresStateStore implements TransactionalStateStore, QueryableStateStore {
  private open: Open | undefined;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private closed = false;

  async init(context: ComponentContext): Promise<void> {
    const settings = readStateSettings(context.metadata);
    const pool = await openPool(settings, context.logger, `state store ${context.name}`);
    if (this.closed) {
      // The runtime gave up (initTimeout) and closed us while we were connecting.
      await pool.end().catch(() => undefined);
      return;
    }
    this.open = { pool, settings, logger: context.logger };
    try {
      await migrate(pool, settings.tableName, settings.metadataTableName, context.logger);
    } catch (error) {
      await this.close();
      throw new Error(`state store ${context.name}: cannot prepare table ${settings.tableName} at ${settings.target}: ${reason(error)}`, { cause: error });
    }
    if (settings.cleanupIntervalMs !== undefined && !this.closed) {
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
    return ['ETAG', 'TRANSACTIONAL', 'TTL', 'QUERY_API'];
  }

  async get(request: GetRequest): Promise<StoredState | undefined> {
    const { pool, settings } = this.opened();
    const result = await pool.query<StateRow>(
      `SELECT value::text AS value, isbinary, xmin::text AS etag, floor(extract(epoch FROM expiredate) * 1000)::bigint::text AS expires_ms
       FROM ${settings.tableName} WHERE key = $1 AND (expiredate IS NULL OR expiredate >= CURRENT_TIMESTAMP)`,
      [request.key],
    );
    const row = result.rows[0];
    if (!row) return undefined;
    const metadata = ttlResponseMetadata(row.expires_ms === null ? undefined : Number(row.expires_ms));
    return { value: decodeValue(row.value, row.isbinary), etag: row.etag, ...(metadata ? { metadata } : {}) };
  }

  async set(request: SetRequest): Promise<void> {
    await this.write(this.opened().pool, { operation: 'upsert', request });
  }

  async delete(request: DeleteRequest): Promise<void> {
    await this.write(this.opened().pool, { operation: 'delete', request });
  }

  /** All operations in one database transaction: the first failure rolls back everything before it. */
  async transact(operations: readonly TransactionOperation[]): Promise<void> {
    if (operations.length === 0) return;
    const { pool } = this.opened();
    // Checks that need no database run first, so a malformed request never opens a transaction.
    for (const operation of operations) validate(operation);
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      for (const operation of operations) await this.write(client, operation);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        // The connection is unusable (server gone): drop it rather than return it to the pool.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async query(query: StateQuery, keyPrefix: string): Promise<QueryResponse> {
    const { pool, settings } = this.opened();
    const compiled = compileQuery(query, keyPrefix, settings.tableName);
    const result = await pool.query<{ key: string; value: string; isbinary: boolean; etag: string }>(compiled.text, compiled.values);
    const more = compiled.limit !== undefined && result.rows.length > compiled.limit;
    const rows = more ? result.rows.slice(0, compiled.limit) : result.rows;
    const results = rows.map((row) => ({ key: row.key, value: decodeValue(row.value, row.isbinary), etag: row.etag }));
    return more ? { results, token: String(compiled.offset + rows.length) } : { results };
  }

  /** Deletes expired rows now if no sidecar did within the interval (what the timer does). @returns rows deleted, or undefined when skipped. */
  async cleanupExpired(): Promise<number | undefined> {
    const { pool, settings } = this.opened();
    return cleanupExpired(pool, settings.tableName, settings.metadataTableName, settings.cleanupIntervalMs ?? 0);
  }

  private async write(db: Queryable, operation: TransactionOperation): Promise<void> {
    const { settings } = this.opened();
    const { etag, expiresInSeconds, encoded } = validate(operation);
    const table = settings.tableName;
    const { key } = operation.request;
    if (operation.operation === 'delete') {
      const result = etag === undefined
        ? await db.query(`DELETE FROM ${table} WHERE key = $1`, [key])
        : await db.query(`DELETE FROM ${table} WHERE key = $1 AND xmin = $2::xid`, [key, etag]);
      if (etag !== undefined && result.rowCount !== 1) throw new EtagMismatchError(`possible etag mismatch: item with key ${key} was not deleted`);
      return;
    }
    const value = encoded as NonNullable<typeof encoded>;
    const expiry = expiresInSeconds === undefined ? 'NULL' : 'CURRENT_TIMESTAMP + make_interval(secs => $4)';
    const params: unknown[] = [key, value.json, value.isBinary];
    if (expiresInSeconds !== undefined) params.push(expiresInSeconds);
    if (etag !== undefined) {
      params.push(etag);
      const result = await db.query(
        `UPDATE ${table} SET value = $2::jsonb, isbinary = $3, updatedate = CURRENT_TIMESTAMP, expiredate = ${expiry}
         WHERE key = $1 AND xmin = $${params.length}::xid AND (expiredate IS NULL OR expiredate > CURRENT_TIMESTAMP)`,
        params,
      );
      if (result.rowCount !== 1) throw new EtagMismatchError(`possible etag mismatch: item with key ${key} was not updated`);
      return;
    }
    // An upsert in both cases, because the row may exist but be expired and not yet cleaned up;
    // first-write then only replaces such an expired row.
    const firstWrite = operation.request.options?.concurrency === 'first-write';
    const result = await db.query(
      `INSERT INTO ${table} AS t (key, value, isbinary, expiredate) VALUES ($1, $2::jsonb, $3, ${expiry})
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, isbinary = excluded.isbinary, updatedate = CURRENT_TIMESTAMP, expiredate = ${expiry}
       ${firstWrite ? 'WHERE t.expiredate IS NOT NULL AND t.expiredate < CURRENT_TIMESTAMP' : ''}`,
      params,
    );
    if (result.rowCount !== 1) throw new EtagMismatchError(`first-write: item with key ${key} already exists`);
  }

  private async runCleanup(): Promise<void> {
    const open = this.open;
    if (!open) return;
    try {
      const deleted = await this.cleanupExpired();
      if (deleted) open.logger.debug(`deleted ${deleted} expired state rows`);
    } catch (error) {
      // A server outage must not crash the sidecar; the next tick tries again.
      open.logger.warn(`failed to delete expired state rows: ${reason(error)}`);
    }
  }

  private opened(): Open {
    if (!this.open) throw new Error('postgresql state store is not initialised');
    return this.open;
  }
}

/** What a write needs from its request, checked before any statement runs. */
function validate(operation: TransactionOperation): { etag: string | undefined; expiresInSeconds: number | undefined; encoded: ReturnType<typeof encodeValue> | undefined } {
  const { request } = operation;
  if (!request.key) throw new InvalidStateRequestError(`missing key in ${operation.operation === 'delete' ? 'delete' : 'set'} operation`);
  const etag = request.etag === undefined || request.etag === '' ? undefined : parseEtag(request.etag);
  if (operation.operation === 'delete') return { etag, expiresInSeconds: undefined, encoded: undefined };
  if (operation.operation !== 'upsert') throw new InvalidStateRequestError(`unsupported operation: ${String((operation as { operation: unknown }).operation)}`);
  const now = Date.now();
  const expiresAt = expiryFromMetadata(request.metadata, now);
  return { etag, expiresInSeconds: expiresAt === undefined ? undefined : (expiresAt - now) / 1000, encoded: encodeValue(operation.request.value) };
}

/** Dapr parses the ETag as an unsigned 32-bit decimal (an xid); anything else is invalid. */
function parseEtag(etag: string): string {
  if (!/^\d{1,10}$/.test(etag) || Number(etag) > 0xffffffff) throw new EtagInvalidError(etag);
  return String(Number(etag));
}
