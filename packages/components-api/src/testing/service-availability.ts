import { createConnection } from 'node:net';
import { it } from 'node:test';
import { createLogger, errorMessage } from '@outrigger/kit';
import type { ComponentContext } from '../component.js';

const silentLogger = createLogger({ scope: 'test', level: 'silent' });

/** A component context for tests: the given metadata and a silent logger. */
export function silentTestContext(name: string, metadata: Record<string, string>, appId = 'test-app'): ComponentContext {
  return { name, metadata, appId, namespace: 'default', logger: silentLogger };
}

/** Resolves once something accepts TCP connections at the URL's host and port. @throws when nothing does within 2 s */
export function tcpConnect(url: string, defaultPort: number): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: hostname, port: Number(port || defaultPort) });
    socket.setTimeout(2_000, () => {
      socket.destroy();
      reject(new Error('no answer within 2 s'));
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) => {
      socket.destroy();
      reject(error);
    });
  });
}

/**
 * Why tests of a service cannot run, or undefined when `probe` reaches it. Under CI=true a service
 * that cannot be reached fails the run instead: CI must run every test, not skip it quietly.
 * @param what the service and how to make it reachable, as the start of the message
 */
export async function serviceUnavailable(what: string, probe: () => Promise<void>): Promise<string | undefined> {
  try {
    await probe();
    return undefined;
  } catch (error) {
    const message = `${what}: ${errorMessage(error) || (error as NodeJS.ErrnoException).code || 'unreachable'}`;
    if (process.env.CI === 'true') throw new Error(`${message}; CI=true requires it`);
    return message;
  }
}

/** Declares one skipped test carrying the reason, so the skip shows in the report. */
export function skipAll(title: string, why: string): void {
  it(title, { skip: why }, () => undefined);
}
