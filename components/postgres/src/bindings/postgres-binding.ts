import {
  readSqlBindingRequest, sqlCallClock, sqlResponseMetadata,
  type BindingInvokeRequest, type BindingInvokeResponse, type ComponentContext, type MetadataField, type OutputBinding,
} from '@outrigger/components-api';
import type pg from 'pg';
import { openPool, reason } from '../pool.js';
import { postgresConnectionFields, readPoolSettings, type PoolSettings } from '../pool-settings.js';
import { rawTextTypes, rowsToJson } from './row-json.js';

/** Dapr's `bindings.postgres` metadata (components-contrib `bindings/postgres/metadata.yaml`). */
export const postgresBindingMetadata: readonly MetadataField[] = postgresConnectionFields;

const OPERATIONS = ['exec', 'query', 'close'] as const;

/**
 * `bindings.postgresql` (alias `bindings.postgres`): runs the SQL in request metadata `sql` with the
 * JSON array in `params` as `$1`, `$2`, ... `exec` answers `rows-affected` in the response metadata,
 * `query` the rows as a JSON array of arrays, as Dapr does.
 */
export class PostgresBinding implements OutputBinding {
  private pool: pg.Pool | undefined;
  private settings: PoolSettings | undefined;
  private context: ComponentContext | undefined;
  private reopening: Promise<pg.Pool> | undefined;
  private closed = false;

  async init(context: ComponentContext): Promise<void> {
    this.settings = readPoolSettings(postgresBindingMetadata, context.metadata);
    this.context = context;
    const pool = await openPool(this.settings, context.logger, `binding ${context.name}`);
    if (this.closed) await pool.end().catch(() => undefined);
    else this.pool = pool;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.releasePool();
  }

  operations(): readonly string[] {
    return OPERATIONS;
  }

  async invoke(request: BindingInvokeRequest): Promise<BindingInvokeResponse | undefined> {
    if (this.closed) throw new Error('component is closed');
    if (request.operation === 'close') {
      // Dapr's `close` ends the component's connections. Here the next call opens new ones, rather than
      // leaving the binding unusable until the sidecar restarts.
      await this.releasePool();
      return undefined;
    }
    if (request.operation !== 'exec' && request.operation !== 'query') {
      throw new Error(`invalid operation type: ${request.operation}. Expected exec, query, or close`);
    }
    const { sql, params } = readSqlBindingRequest(request.metadata);
    const pool = await this.currentPool();
    const start = sqlCallClock();
    let result: pg.QueryResult<string[]>;
    try {
      result = await pool.query<string[]>({ text: sql, values: params, rowMode: 'array', types: rawTextTypes });
    } catch (error) {
      throw new Error(`error executing query: ${reason(error)}`, { cause: error });
    }
    const metadata = sqlResponseMetadata(request.operation, sql, start, sqlCallClock());
    if (request.operation === 'exec') return { metadata: { ...metadata, 'rows-affected': String(result.rowCount ?? 0) } };
    // A multi-statement text answers one result per statement; the last one holds the rows, as with pgx.
    const last = Array.isArray(result) ? (result as pg.QueryResult<string[]>[]).at(-1) : result;
    return { data: new Uint8Array(Buffer.from(rowsToJson(last?.fields ?? [], last?.rows ?? []))), metadata, contentType: 'application/json' };
  }

  private async currentPool(): Promise<pg.Pool> {
    if (this.pool) return this.pool;
    const { settings, context } = this;
    if (!settings || !context) throw new Error('postgresql binding is not initialised');
    this.reopening ??= openPool(settings, context.logger, `binding ${context.name}`).then((pool) => {
      this.pool = pool;
      return pool;
    }).finally(() => {
      this.reopening = undefined;
    });
    return this.reopening;
  }

  private async releasePool(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }
}

