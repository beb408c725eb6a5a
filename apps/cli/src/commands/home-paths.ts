import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Files `outrigger init` writes under the Outrigger home, and that `run` falls back to. */
export function componentsDir(home: string): string {
  return join(home, 'components');
}

export function configFile(home: string): string {
  return join(home, 'config.yaml');
}

/** The sidecars' shared name-resolution registry (written by the runtime, read by list/stop). */
export function registryFile(home: string): string {
  return join(home, 'registry.db');
}

/** `[<home>/components]` when `outrigger init` has created it, else no resources at all. */
export function defaultResourcesPaths(home: string): string[] {
  return isDirectory(componentsDir(home)) ? [componentsDir(home)] : [];
}

/** `<home>/config.yaml` when present, else none. */
export function defaultConfigPath(home: string): string | undefined {
  return existsSync(configFile(home)) ? configFile(home) : undefined;
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
