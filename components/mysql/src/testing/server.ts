import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import type { ComponentContext } from '@outrigger/components-api';
import { createLogger } from '@outrigger/kit';
import mysql from 'mysql2/promise';

/** The shared test server: MariaDB on 127.0.0.1:3306, user root without password, database `test`. */
export const TEST_DSN = process.env.OUTRIGGER_TEST_MYSQL ?? 'root:@tcp(127.0.0.1:3306)/?allowNativePasswords=true';

const logger = createLogger({ scope: 'test', level: 'silent' });

/** A component context for tests: the given metadata and a silent logger. */
export function testContext(metadata: Record<string, string>, name = 'test-component'): ComponentContext {
  return { name, metadata, appId: 'test-app', namespace: 'default', logger };
}

/** A name no other run uses, for tables and schemas. */
export function uniqueName(label: string): string {
  return `outrigger_${label}_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
}

/** A connection on the shared server, for setting up and checking tables directly. */
export async function adminConnection(): Promise<mysql.Connection> {
  const connection = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', password: '', connectTimeout: 3000, jsonStrings: true });
  connection.on('error', () => undefined);
  return connection;
}

/**
 * Whether the shared server answers; in CI (CI=true) a missing server fails the run instead.
 * @returns undefined when it is up, or the reason to skip.
 */
export async function mysqlUnavailable(): Promise<string | undefined> {
  try {
    const connection = await adminConnection();
    await connection.end();
    return undefined;
  } catch (error) {
    const message = `MariaDB/MySQL is not reachable on 127.0.0.1:3306 (user root, no password): ${error instanceof Error ? error.message || (error as NodeJS.ErrnoException).code : String(error)}`;
    if (process.env.CI === 'true') throw new Error(`${message}; CI=true requires it`);
    return message;
  }
}

/** Declares one skipped test carrying the reason, so the skip shows in the report. */
export function skipAll(title: string, why: string): void {
  it(title, { skip: why }, () => undefined);
}
