import { serviceUnavailable, tcpConnect } from '@outrigger/components-api/testing';

/**
 * Why tests on a shared database server cannot run, or undefined when its port accepts a connection.
 * With CI=true an unreachable server is an error, not a reason to skip.
 */
export function sharedServerUnavailable(name: string, port: number): Promise<string | undefined> {
  return serviceUnavailable(`${name} on 127.0.0.1:${port} is unreachable`, () => tcpConnect(`tcp://127.0.0.1:${port}`, port));
}

export { componentYaml } from './component-yaml.js';

/** A table name no other run uses (lower case, as PostgreSQL folds names). */
export function uniqueTable(label: string): string {
  return `outrigger_${label}_${Math.random().toString(36).slice(2, 10)}`;
}
