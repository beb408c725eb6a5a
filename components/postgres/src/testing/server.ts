import { randomUUID } from 'node:crypto';
import type { ComponentContext } from '@outrigger/components-api';
import { serviceUnavailable, silentTestContext } from '@outrigger/components-api/testing';
import pg from 'pg';

/** The shared test server: PostgreSQL on 127.0.0.1:5432, database `test`, user `postgres`, trust auth. */
export const TEST_CONNECTION_STRING = process.env.OUTRIGGER_TEST_POSTGRES ?? 'host=127.0.0.1 port=5432 user=postgres database=test';

/** A component context for tests: the given metadata and a silent logger. */
export function testContext(metadata: Record<string, string>, name = 'test-component'): ComponentContext {
  return silentTestContext(name, metadata);
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

/** Why the PostgreSQL tests do not run, or undefined when the shared server answers (under CI=true a missing server fails the run). */
export function postgresUnavailable(): Promise<string | undefined> {
  return serviceUnavailable('PostgreSQL is not reachable on 127.0.0.1:5432 (database test, user postgres)', async () => {
    await (await adminClient()).end();
  });
}

export { skipAll } from '@outrigger/components-api/testing';
