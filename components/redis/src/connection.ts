import { Redis, type RedisOptions } from 'ioredis';
import { errorMessage, type Logger } from '@outrigger/kit';
import type { RedisConnectionSettings } from './settings.js';

/** How a connection is used; changes its timeouts. */
export interface ConnectOptions {
  /** Named in error messages, e.g. `redis store`. */
  readonly purpose: string;
  readonly logger: Logger;
  /**
   * A connection that runs blocking reads (XREADGROUP BLOCK): no plain command timeout, since the
   * read blocks on purpose; a blocking-command timeout of the block time plus a grace period instead.
   */
  readonly blocking?: boolean;
  /** Passed to CLIENT SETNAME, to find the connection in CLIENT LIST. */
  readonly connectionName?: string;
  /** Aborting gives up connecting (the component was closed while its init ran). */
  readonly signal?: AbortSignal;
}

/**
 * Opens a connection and waits until it is ready.
 *
 * Why these options: `enableOfflineQueue: false` makes every command issued while Redis is unreachable
 * fail at once (a publish or a save must report an error, not wait or claim success); `maxRetriesPerRequest`
 * bounds how many reconnections a command already sent waits for; `commandTimeout` bounds each command.
 * Before the first ready the client tries `redisMaxRetries + 1` times and then gives up, so init fails
 * with the cause (the runtime's `initTimeout` bounds it too); after that it reconnects forever with
 * back-off, and subscriptions resubscribe by themselves.
 * @throws Error naming the address and the cause when the server cannot be reached.
 */
export async function connectRedis(settings: RedisConnectionSettings, options: ConnectOptions): Promise<Redis> {
  if (options.signal?.aborted) throw new Error(`${options.purpose}: closed before it connected`);
  let everReady = false;
  let lastError: Error | undefined;
  const backoff = (attempt: number): number => {
    const floor = Math.max(settings.minRetryIntervalMs, 10);
    const ceiling = Math.max(settings.maxRetryIntervalMs, floor);
    return Math.min(ceiling, floor * 2 ** Math.min(attempt - 1, 16));
  };
  const client = new Redis(redisOptions(settings, options, (attempt) => {
    if (!everReady && attempt > settings.maxRetries) return null;
    return backoff(attempt);
  }));
  let connected = true;
  let attempts = 0;
  client.on('error', (error: Error) => {
    lastError = error;
    if (!everReady) {
      // Logged per attempt, so the cause is in the log even when the runtime's initTimeout ends init first.
      attempts += 1;
      options.logger.warn(`${options.purpose}: cannot connect to redis at ${settings.address} (attempt ${attempts} of ${settings.maxRetries + 1}): ${error.message}`);
    } else if (connected) {
      options.logger.warn(`${options.purpose}: connection to redis at ${settings.address} failed: ${error.message}`);
    }
  });
  client.on('close', () => {
    if (connected && everReady) options.logger.warn(`${options.purpose}: lost the connection to redis at ${settings.address}; reconnecting`);
    connected = false;
  });
  client.on('ready', () => {
    if (!connected && everReady) options.logger.info(`${options.purpose}: reconnected to redis at ${settings.address}`);
    connected = true;
    everReady = true;
  });
  const ready = new Promise<void>((resolve, reject) => {
    const onReady = (): void => {
      client.off('end', onEnd);
      resolve();
    };
    const onEnd = (): void => {
      client.off('ready', onReady);
      reject(new Error(`${options.purpose}: error connecting to redis at ${settings.address}: ${lastError ? errorMessage(lastError) : 'connection closed'}`));
    };
    client.once('ready', onReady);
    client.once('end', onEnd);
  });
  const abandon = (): void => {
    lastError = new Error('the component was closed while connecting');
    client.disconnect();
  };
  options.signal?.addEventListener('abort', abandon, { once: true });
  client.connect().catch(() => undefined);
  try {
    await ready;
  } catch (error) {
    client.disconnect();
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', abandon);
  }
  return client;
}

function redisOptions(settings: RedisConnectionSettings, options: ConnectOptions, retryStrategy: (attempt: number) => number | null): RedisOptions {
  const common: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: settings.maxRetries,
    connectTimeout: settings.dialTimeoutMs,
    retryStrategy,
    db: settings.db,
    ...(settings.username ? { username: settings.username } : {}),
    ...(settings.password ? { password: settings.password } : {}),
    ...(settings.tls ? { tls: { ...settings.tls } } : {}),
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
    ...(options.blocking
      ? { blockingTimeout: settings.readTimeoutMs + 2000, blockingTimeoutGrace: 2000 }
      : settings.commandTimeoutMs === undefined ? {} : { commandTimeout: settings.commandTimeoutMs }),
  };
  if (settings.sentinelMasterName === undefined) return { ...common, host: settings.host, port: settings.port };
  return {
    ...common,
    sentinels: settings.sentinels.map(({ host, port }) => ({ host, port })),
    name: settings.sentinelMasterName,
    ...(settings.sentinelUsername ? { sentinelUsername: settings.sentinelUsername } : {}),
    ...(settings.sentinelPassword ? { sentinelPassword: settings.sentinelPassword } : {}),
    ...(settings.tls ? { enableTLSForSentinelMode: true } : {}),
    sentinelRetryStrategy: retryStrategy,
  };
}

/** Closes a connection: QUIT when it is up (replies in flight still arrive), else drops it. Never throws. */
export async function closeRedis(client: Redis | undefined): Promise<void> {
  if (!client) return;
  if (client.status === 'ready') {
    await Promise.race([client.quit().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  }
  client.disconnect();
}

/** The number of replicas attached to the server (INFO replication `connected_slaves`); 0 when unknown. */
export async function connectedReplicas(client: Redis): Promise<number> {
  try {
    const info = await client.info('replication');
    const match = /connected_slaves:(\d+)/.exec(info);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** True for the error Redis answers to a command it does not know (a module not loaded, an old server). */
export function isUnknownCommand(error: unknown): boolean {
  return /unknown command/i.test(errorMessage(error));
}
