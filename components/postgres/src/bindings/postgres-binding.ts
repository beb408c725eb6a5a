import {
  poolForSqlOperation, readSqlBindingRequest, ReopenablePool, sqlCallClock, sqlResponseMetadata,
  type BindingInvokeRequest, type BindingInvokeResponse, type ComponentContext, type MetadataField, type OutputBinding,
} from '@outrigger/components-api';
import type pg from 'pg';
import { openPool, reason } from '../pool.js';
import { postgresConnectionFields, readPoolSettings } from '../pool-settings.js';
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
  private pools: ReopenablePool<pg.Pool> | undefined;
  private closed = false;

  async init(context: ComponentContext): Promise<void> {
    const settings = readPoolSettings(postgresBindingMetadata, context.metadata);
    this.pools = new ReopenablePool(() => openPool(settings, context.logger, `binding ${context.name}`));
    if (this.closed) await this.pools.close();
    await this.pools.start();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pools?.close();
  }

  operations(): readonly string[] {
    return OPERATIONS;
  }

  async invoke(request: BindingInvokeRequest): Promise<BindingInvokeResponse | undefined> {
    const pool = await poolForSqlOperation(this.closed ? undefined : this.pools, request.operation);
    if (!pool) return undefined;
    const { sql, params } = readSqlBindingRequest(request.metadata);
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
}
