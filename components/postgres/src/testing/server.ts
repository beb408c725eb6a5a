import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import type { ComponentContext } from '@outrigger/components-api';
import { createLogger } from '@outrigger/kit';
import pg from 'pg';

/** The shared test server: PostgreSQL on 127.0.0.1:5432, database `test`, user `postgres`, trust auth. */
export const TEST_CONNECTION_STRING = process.env.OUTRIGGER_TEST_POSTGRES ?? 'host=127.0.0.1 port=5432 user=postgres database=test';

const logger = createLogger({ scope: 'test', level: 'silent' });

/** A component context for tests: the given metadata and a silent logger. */
export function testContext(metadata: Record<string, string>, name = 'test-component'): ComponentContext {
  return { name, metadata, appId: 'test-app', namespace: 'default', logger };
}

/** A table name no other run uses (PostgreSQL folds names to lower case, so this is lower case). */
export function uniqueTable(label: string): string {
  return `outrigger_${label}_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
}

/** A client on the shared server, for setting up and checking tables directly. */
export async function adminClient(): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/**
 * Whether the shared server answers. When it does not, tests are skipped with a message, except in
 * CI (CI=true), where a missing server must fail the run instead of hiding it.
 * @returns undefined when the server is up, or the reason to skip.
 */
export async function postgresUnavailable(): Promise<string | undefined> {
  try {
    const client = await adminClient();
    await client.end();
    return undefined;
  } catch (error) {
    const message = `PostgreSQL is not reachable on 127.0.0.1:5432 (database test, user postgres): ${error instanceof Error ? error.message : String(error)}`;
    if (process.env.CI === 'true') throw new Error(`${message}; CI=true requires it`);
    return message;
  }
}

/** Declares one skipped test carrying the reason, so the skip shows in the report. */
export function skipAll(title: string, why: string): void {
  it(title, { skip: why }, () => undefined);
}
