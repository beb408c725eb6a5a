import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ComponentContext } from '@outrigger/components-api';
import { createLogger } from '@outrigger/kit';

/** The shared Redis the tests use: OUTRIGGER_TEST_REDIS (`host:port`), default 127.0.0.1:6379. */
export const TEST_REDIS = process.env.OUTRIGGER_TEST_REDIS ?? '127.0.0.1:6379';

/** A prefix unique to this test process, so runs sharing the server never meet. */
export const RUN = `outrigger-test-${randomUUID().slice(0, 8)}`;

const logger = createLogger({ scope: 'test', level: 'silent' });

/** A component context for tests: the given metadata (redisHost filled in) and a silent logger. */
export function redisContext(metadata: Record<string, string> = {}, appId = 'test-app'): ComponentContext {
  return { name: 'test-redis', metadata: { redisHost: TEST_REDIS, ...metadata }, appId, namespace: 'default', logger };
}

/** A plain client on the test server, for setting up and checking data the way another program would. */
export function rawClient(): Redis {
  const [host = '127.0.0.1', port = '6379'] = TEST_REDIS.split(':');
  return new Redis({ host, port: Number(port), lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
}

/**
 * Why the Redis tests cannot run, or undefined when the server answers PING. With CI=true an
 * unreachable server is an error, not a reason to skip: CI must run them.
 */
export async function redisUnavailable(): Promise<string | undefined> {
  const client = rawClient();
  let cause: Error | undefined;
  client.on('error', (error: Error) => { cause = error; });
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (error) {
    const detail = (cause ?? (error instanceof Error ? error : new Error(String(error)))).message;
    const reason = `Redis at ${TEST_REDIS} is unreachable (${detail}); start it or set OUTRIGGER_TEST_REDIS`;
    if (process.env.CI === 'true') throw new Error(`${reason}; CI=true requires it`);
    return reason;
  } finally {
    client.disconnect();
  }
}

/** Deletes keys a test created; never throws (cleanup must not hide the test's own result). */
export async function deleteKeys(keys: Iterable<string>): Promise<void> {
  const list = [...new Set(keys)];
  if (list.length === 0) return;
  const client = rawClient();
  client.on('error', () => undefined);
  try {
    await client.connect();
    for (let index = 0; index < list.length; index += 500) await client.del(...list.slice(index, index + 500));
  } catch {
    // Best effort.
  } finally {
    client.disconnect();
  }
}
