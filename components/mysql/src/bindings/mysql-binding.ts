import {
  MetadataError, metadataValue, poolForSqlOperation, readSqlBindingRequest, ReopenablePool, sqlCallClock, sqlResponseMetadata,
  type BindingInvokeRequest, type BindingInvokeResponse, type ComponentContext, type MetadataField, type OutputBinding,
} from '@outrigger/components-api';
import { parseDuration } from '@outrigger/kit';
import type { FieldPacket, ResultSetHeader } from 'mysql2';
import type mysql from 'mysql2/promise';
import { parseMysqlDsn } from '../dsn.js';
import { openPool, reason, type OpenPoolOptions } from '../pool.js';
import { rowsToJson } from './row-json.js';

/** Dapr's `bindings.mysql` metadata (components-contrib `bindings/mysql/metadata.yaml`). */
export const mysqlBindingMetadata: readonly MetadataField[] = [
  { name: 'url', required: true, description: 'Go driver DSN, e.g. `user:password@tcp(localhost:3306)/dbname`; `tls=custom` uses `pemPath`.' },
  { name: 'pemPath', description: 'Path of the CA certificate (PEM) used when the DSN says `tls=custom`.' },
  { name: 'maxIdleConns', kind: 'integer', description: 'Most idle connections kept in the pool.' },
  { name: 'maxOpenConns', kind: 'integer', description: 'Most open connections; default 10.' },
  { name: 'connMaxLifetime', kind: 'duration', description: 'Accepted for compatibility; mysql2 has no connection lifetime limit.' },
  { name: 'connMaxIdleTime', kind: 'duration', description: 'How long an idle connection stays open.' },
];

/**
 * `bindings.mysql`: runs the SQL in request metadata `sql` with the JSON array in `params` as the `?`
 * placeholders. `exec` answers `rows-affected` in the response metadata, `query` the rows as a JSON
 * array of objects, as Dapr does.
 */
export class MysqlBinding implements OutputBinding {
  private pools: ReopenablePool<mysql.Pool> | undefined;
  private statementTimeoutMs: number | undefined;
  private closed = false;

  async init(context: ComponentContext): Promise<void> {
    const url = metadataValue(context.metadata, 'url') ?? '';
    if (url === '') throw new MetadataError('url', 'missing MySql connection string');
    const dsn = parseMysqlDsn(url, 'url', metadataValue(context.metadata, 'pemPath'));
    const number = (name: string) => {
      const raw = metadataValue(context.metadata, name);
      return raw ? Number(raw) : 0;
    };
    const idle = metadataValue(context.metadata, 'connMaxIdleTime');
    const poolOptions: OpenPoolOptions = {
      dsn,
      database: dsn.database,
      extra: {
        ...(number('maxOpenConns') > 0 ? { connectionLimit: number('maxOpenConns') } : {}),
        ...(number('maxIdleConns') > 0 ? { maxIdle: number('maxIdleConns') } : {}),
        ...(idle && parseDuration(idle) > 0 ? { idleTimeout: parseDuration(idle) } : {}),
      },
    };
    this.statementTimeoutMs = dsn.statementTimeoutMs;
    this.pools = new ReopenablePool(() => openPool(poolOptions, context.logger, `binding ${context.name}`));
    if (this.closed) await this.pools.close();
    await this.pools.start();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pools?.close();
  }

  operations(): readonly string[] {
    return ['exec', 'query', 'close'];
  }

  async invoke(request: BindingInvokeRequest): Promise<BindingInvokeResponse | undefined> {
    const pool = await poolForSqlOperation(this.closed ? undefined : this.pools, request.operation);
    if (!pool) return undefined;
    const { sql, params } = readSqlBindingRequest(request.metadata);
    const start = sqlCallClock();
    let rows: unknown;
    let fields: FieldPacket[] | undefined;
    try {
      [rows, fields] = await pool.query({ sql, values: params, rowsAsArray: true, typeCast: false, ...(this.statementTimeoutMs ? { timeout: this.statementTimeoutMs } : {}) });
    } catch (error) {
      throw new Error(`error executing query: ${reason(error)}`, { cause: error });
    }
    const metadata = sqlResponseMetadata(request.operation, sql, start, sqlCallClock());
    if (request.operation === 'exec') return { metadata: { ...metadata, 'rows-affected': String(affectedRows(rows)) } };
    const isRows = Array.isArray(rows) && (rows.length === 0 || Array.isArray(rows[0]));
    const json = isRows ? rowsToJson(fields ?? [], rows as (Buffer | null)[][]) : 'null';
    return { data: new Uint8Array(Buffer.from(json)), metadata, contentType: 'application/json' };
  }
}

/** Affected rows of a statement; a statement returning rows affects none; several statements: the last one's count. */
function affectedRows(result: unknown): number {
  if (Array.isArray(result)) {
    const last = result.at(-1) as unknown;
    return last !== null && typeof last === 'object' && 'affectedRows' in last ? Number((last as ResultSetHeader).affectedRows) : 0;
  }
  return Number((result as Partial<ResultSetHeader> | undefined)?.affectedRows ?? 0);
}
