import { randomUUID } from 'node:crypto';
import type { ComponentContext } from '@outrigger/components-api';
import { serviceUnavailable, silentTestContext } from '@outrigger/components-api/testing';
import mysql from 'mysql2/promise';

/** The shared test server: MariaDB on 127.0.0.1:3306, user root without password, database `test`. */
export const TEST_DSN = process.env.OUTRIGGER_TEST_MYSQL ?? 'root:@tcp(127.0.0.1:3306)/?allowNativePasswords=true';

/** A component context for tests: the given metadata and a silent logger. */
export function testContext(metadata: Record<string, string>, name = 'test-component'): ComponentContext {
  return silentTestContext(name, metadata);
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

/** Why the MySQL tests do not run, or undefined when the shared server answers (under CI=true a missing server fails the run). */
export function mysqlUnavailable(): Promise<string | undefined> {
  return serviceUnavailable('MariaDB/MySQL is not reachable on 127.0.0.1:3306 (user root, no password)', async () => {
    await (await adminConnection()).end();
  });
}

export { skipAll } from '@outrigger/components-api/testing';
