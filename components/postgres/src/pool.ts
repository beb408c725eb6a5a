import type { Logger } from '@outrigger/kit';
import pg from 'pg';
import type { PoolSettings } from './pool-settings.js';

/** An error message without a stack, for logs and errors that name the server. */
export function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(reason).join('; ');
  if (error instanceof Error) return error.message || (error as NodeJS.ErrnoException).code || error.name;
  return String(error);
}

/**
 * Opens a node-postgres pool and proves it works with one round trip, so a wrong address, a server
 * that is down or bad credentials fail init with a message naming the server.
 *
 * Reconnection: the pool opens connections on demand. A connection the server drops while idle
 * is reported through the pool's `error` event (logged here; without a listener node would crash)
 * and removed; one that fails during a query is destroyed with that query. So after an outage
 * the next calls open fresh connections, and calls during it fail at once (connection refused) or
 * after the timeout, never hang.
 * @throws Error naming the target when the first connection fails.
 */
export async function openPool(settings: PoolSettings, logger: Logger, what: string): Promise<pg.Pool> {
  const pool = new pg.Pool(settings.pool);
  pool.on('error', (error) => logger.warn(`${what}: idle PostgreSQL connection lost: ${reason(error)}`));
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new Error(`${what}: cannot connect to PostgreSQL at ${settings.target}: ${reason(error)}`, { cause: error });
  }
  return pool;
}
