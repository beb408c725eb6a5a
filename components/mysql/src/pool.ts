import type { Logger } from '@outrigger/kit';
import mysql from 'mysql2/promise';
import type { MysqlDsn } from './dsn.js';

/** An error message without a stack; mysql2 sometimes leaves `message` empty and puts the reason in `code`. */
export function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(reason).join('; ');
  if (error instanceof Error) return error.message || (error as NodeJS.ErrnoException).code || error.name;
  return String(error);
}

export interface OpenPoolOptions {
  readonly dsn: MysqlDsn;
  readonly database?: string | undefined;
  /** Statements run on every new connection before any other (session settings). */
  readonly onConnect?: readonly string[];
  readonly extra?: mysql.PoolOptions;
}

/**
 * Opens a mysql2 pool and proves it with one round trip, so a wrong address, a stopped server or bad
 * credentials fail init with a message naming the server.
 *
 * Reconnection: mysql2 removes a pooled connection that ends or fails, and opens new ones on demand;
 * so after an outage the next calls get fresh connections, and calls during it fail (connection
 * refused, connection lost) instead of waiting.
 * @throws Error naming the target when the first connection fails.
 */
export async function openPool(options: OpenPoolOptions, logger: Logger, what: string): Promise<mysql.Pool> {
  const pool = mysql.createPool({ ...options.dsn.options, ...options.extra, ...(options.database ? { database: options.database } : {}) });
  const setup = [...options.dsn.sessionVariables.map((assignment) => `SET ${assignment}`), ...(options.onConnect ?? [])];
  if (setup.length > 0) {
    // The callback pool underneath emits new connections; commands queue in order, so these run before any query.
    pool.pool.on('connection', (connection) => {
      for (const statement of setup) {
        connection.query(statement, (error: unknown) => {
          if (error) logger.warn(`${what}: session setting "${statement}" failed: ${reason(error)}`);
        });
      }
    });
  }
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new Error(`${what}: cannot connect to MySQL at ${options.dsn.target}/${options.database ?? options.dsn.database ?? ''}: ${reason(error)}`, { cause: error });
  }
  return pool;
}
