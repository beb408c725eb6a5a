import Database from 'better-sqlite3';
import {
  evaluateQuery, expiryFromMetadata, InvalidStateRequestError, ttlResponseMetadata,
  type ComponentContext, type DeleteRequest, type GetRequest, type QueryableStateStore, type QueryResponse,
  type SetRequest, type StateFeature, type StateQuery, type StoredState, type TransactionalStateStore,
  type TransactionOperation,
} from '@outrigger/components-api';
import type { Logger } from '@outrigger/kit';
import { checkDelete, checkOptions, checkWrite, hasEtag, nextEtag, parseEtag } from './concurrency.js';
import { cleanupExpired, fromSqlTime, migrate, prepareStatements, toSqlTime, type Statements } from './sqlite-schema.js';
import { parseSqliteSettings, type SqliteSettings } from './sqlite-settings.js';
import { decodeValue, encodeValue } from './value-codec.js';
import { setJournalMode } from './sqlite-journal.js';

/** A validated operation: values encoded and TTLs resolved before the database is touched. */
type Prepared =
  | { readonly kind: 'upsert'; readonly request: SetRequest; readonly text: string; readonly isBinary: boolean; readonly expiration: string | null }
  | { readonly kind: 'delete'; readonly request: DeleteRequest };

interface Open {
  readonly db: Database.Database;
  readonly statements: Statements;
  readonly settings: SqliteSettings;
  readonly logger: Logger;
}

/**
 * `state.sqlite` (alias `state.sqlite3`) on better-sqlite3, with Dapr's table layout and metadata.
 *
 * Several OS processes may share one database file. What makes that safe:
 * - WAL journal (unless `disableWAL`), so readers never block the writer;
 * - a busy timeout, so a writer waits for the lock instead of failing at once;
 * - every write, a single one included, runs in a `BEGIN IMMEDIATE` transaction that takes the write
 *   lock up front and does its ETag check inside, so no other process can write between check and write.
 *
 * better-sqlite3 is synchronous: a call blocks the event loop while it waits for the lock, for at most
 * `busyTimeout`. That is the price of one connection with no pool; `timeout` is validated for Dapr
 * compatibility but has nothing more to bound.
 */
export class SqliteStateStore implements TransactionalStateStore, QueryableStateStore {
  private open: Open | undefined;
  private cleanupTimer: NodeJS.Timeout | undefined;

  async init(context: ComponentContext): Promise<void> {
    const settings = parseSqliteSettings(context.metadata);
    const db = new Database(settings.filename, { readonly: settings.readonly, timeout: settings.busyTimeoutMs });
    try {
      db.pragma(`busy_timeout = ${settings.busyTimeoutMs}`);
      if (settings.memory) await setJournalMode(db, 'MEMORY', settings.busyTimeoutMs);
      else if (!settings.readonly) await setJournalMode(db, settings.disableWAL ? 'DELETE' : 'WAL', settings.busyTimeoutMs);
      for (const [name, value] of settings.pragmas) db.pragma(`${name} = ${value}`);
      if (!settings.readonly) migrate(db, settings.tableName, settings.metadataTableName);
      const statements = prepareStatements(db, settings.tableName, settings.metadataTableName);
      this.open = { db, statements, settings, logger: context.logger };
    } catch (error) {
      db.close();
      throw error;
    }
    if (settings.cleanupIntervalMs > 0 && !settings.readonly) {
      this.cleanupTimer = setInterval(() => this.runCleanup(), settings.cleanupIntervalMs);
      // The cleanup must never keep the process alive on its own.
      this.cleanupTimer.unref();
    }
  }

  async close(): Promise<void> {
    if (this.cleanupTimer) clearInterval(this.cleanupTimer);
    this.cleanupTimer = undefined;
    this.open?.db.close();
    this.open = undefined;
  }

  features(): readonly StateFeature[] {
    return ['ETAG', 'TRANSACTIONAL', 'TTL', 'QUERY_API'];
  }

  async get(request: GetRequest): Promise<StoredState | undefined> {
    const { statements } = this.opened();
    const row = statements.getLive.get(request.key, toSqlTime(Date.now()));
    if (!row) return undefined;
    const metadata = ttlResponseMetadata(row.expiration_time === null ? undefined : fromSqlTime(row.expiration_time));
    return { value: decodeValue(row.value, row.is_binary), etag: row.etag, ...(metadata ? { metadata } : {}) };
  }

  async set(request: SetRequest): Promise<void> {
    this.apply([{ operation: 'upsert', request }]);
  }

  async delete(request: DeleteRequest): Promise<void> {
    this.apply([{ operation: 'delete', request }]);
  }

  async transact(operations: readonly TransactionOperation[], _metadata?: Readonly<Record<string, string>>): Promise<void> {
    if (operations.length > 0) this.apply(operations);
  }

  async query(query: StateQuery, keyPrefix: string): Promise<QueryResponse> {
    const { statements } = this.opened();
    const rows = statements.queryPrefix.all({ prefix: keyPrefix, now: toSqlTime(Date.now()) })
      .map((row) => ({ key: row.key, value: decodeValue(row.value, row.is_binary), etag: row.etag }));
    const { results, token } = evaluateQuery(rows, query);
    return token === undefined ? { results } : { results, token };
  }

  /** Deletes expired rows now (what the cleanup timer does); for operators and tests. @returns rows deleted. */
  cleanupExpired(): number {
    const { db, statements, settings } = this.opened();
    return cleanupExpired(db, statements, settings.cleanupIntervalMs);
  }

  /**
   * Validates every operation, then checks and applies them in order inside one IMMEDIATE transaction.
   * An error thrown inside rolls the transaction back, so either every operation lands or none does.
   */
  private apply(operations: readonly TransactionOperation[]): void {
    const { db, statements } = this.opened();
    const nowMs = Date.now();
    const prepared = operations.map((operation) => prepare(operation, nowMs));
    const now = toSqlTime(nowMs);
    db.transaction(() => {
      for (const op of prepared) {
        const { key } = op.request;
        const row = statements.getAny.get(key);
        const live = row !== undefined && (row.expiration_time === null || row.expiration_time > now);
        const current = live ? row.etag : undefined;
        if (op.kind === 'delete') {
          checkDelete(key, current, op.request.etag);
          if (row) statements.delete.run(key);
          continue;
        }
        checkWrite(key, current, op.request.etag, op.request.options?.concurrency === 'first-write');
        // From the store-wide sequence, advanced in this transaction; row?.etag only matters for rows older than it.
        const etag = nextEtag(statements.getEtagSequence.get()?.value, row?.etag);
        statements.setEtagSequence.run(etag);
        statements.upsert.run({ key, value: op.text, isBinary: op.isBinary ? 1 : 0, etag, expiration: op.expiration, now });
      }
    }).immediate();
  }

  private runCleanup(): void {
    if (!this.open) return;
    try {
      const deleted = this.cleanupExpired();
      if (deleted > 0) this.open.logger.debug(`deleted ${deleted} expired state rows`);
    } catch (error) {
      // A busy database or a failing disk must not crash the sidecar; the next tick tries again.
      this.open.logger.warn(`failed to delete expired state rows: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private opened(): Open {
    if (!this.open) throw new Error('sqlite state store is not initialised');
    return this.open;
  }
}

/** Request-level validation, done for every operation before the transaction starts. */
function prepare(operation: TransactionOperation, nowMs: number): Prepared {
  checkOptions(operation.request.options);
  if (hasEtag(operation.request.etag)) parseEtag(operation.request.etag);
  if (operation.operation === 'delete') return { kind: 'delete', request: operation.request };
  // The runtime may hand over operation names straight from a request body.
  if (operation.operation !== 'upsert') throw new InvalidStateRequestError(`operation type ${String((operation as { operation: unknown }).operation)} not supported`);
  const expiresAt = expiryFromMetadata(operation.request.metadata, nowMs);
  const { text, isBinary } = encodeValue(operation.request.value);
  return { kind: 'upsert', request: operation.request, text, isBinary, expiration: expiresAt === undefined ? null : toSqlTime(expiresAt) };
}
