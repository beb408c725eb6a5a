/** Anything with an asynchronous `end`, as the pools of pg and mysql2 have. */
export interface Endable {
  end(): Promise<void>;
}

/**
 * A connection pool that SQL bindings' `close` operation ends and their next call opens again.
 * Dapr's `close` leaves the binding unusable until the sidecar restarts; reopening on demand keeps
 * the binding working. Concurrent calls during a reopen share one new pool.
 */
export class ReopenablePool<Pool extends Endable> {
  private pool: Pool | undefined;
  private opening: Promise<Pool> | undefined;
  private closed = false;

  constructor(private readonly open: () => Promise<Pool>) {}

  /** Opens the first pool, so a bad connection fails the component's init. */
  async start(): Promise<void> {
    const pool = await this.open();
    // The component may have been closed while the pool was opening (a slow init, a shutdown).
    if (this.closed) await pool.end().catch(() => undefined);
    else this.pool = pool;
  }

  /** The open pool, opening a new one after `release`. @throws once the component is closed */
  async current(): Promise<Pool> {
    if (this.closed) throw new Error('component is closed');
    if (this.pool) return this.pool;
    this.opening ??= this.open().then(async (pool) => {
      if (!this.closed) {
        this.pool = pool;
        return pool;
      }
      await pool.end().catch(() => undefined);
      throw new Error('component is closed');
    }).finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  /** Ends the open pool; the next `current` opens another. */
  async release(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  /** Ends the pool for good. */
  async close(): Promise<void> {
    this.closed = true;
    await this.release();
  }
}

/**
 * The steps every SQL binding takes before running SQL: refuse calls once closed, end the pool on
 * `close` (the next call opens a new one, where Dapr's binding would stay unusable until restart),
 * refuse operations other than `exec`, `query` and `close`.
 * @returns the pool to run `exec` or `query` on, or undefined after `close`
 */
export async function poolForSqlOperation<Pool extends Endable>(pools: ReopenablePool<Pool> | undefined, operation: string): Promise<Pool | undefined> {
  if (!pools) throw new Error('component is closed');
  if (operation === 'close') {
    await pools.release();
    return undefined;
  }
  if (operation !== 'exec' && operation !== 'query') throw new Error(`invalid operation type: ${operation}. Expected exec, query, or close`);
  return pools.current();
}
