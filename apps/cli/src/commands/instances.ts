import { existsSync, readFileSync } from 'node:fs';
import { LocalRegistry } from '@outrigger/runtime';
import { registryFile } from './home-paths.js';
import { isAlive } from './processes.js';
import { extendedMetadata } from './sidecar-client.js';

/** A running sidecar as `list` and `stop` see it: its registry row plus what `run` stored in its metadata. */
export interface Instance {
  readonly appId: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  /** 0 when the sidecar has no app port, as dapr list shows it. */
  readonly appPort: number;
  readonly daprdPid: number;
  readonly startedAt: number;
  /** 0 when unknown (a sidecar started by hand, or one that has not been told yet). */
  readonly cliPid: number;
  readonly appPid: number;
  readonly command: string;
  readonly runTemplatePath: string;
  readonly runTemplateName: string;
}

/**
 * Live sidecars from the local registry (`<home>/registry.db`), each asked for its metadata with a
 * short timeout so one hung sidecar does not hang `list`. Rows whose process is gone are left out.
 */
export async function liveInstances(home: string, metadataTimeoutMs = 1_000): Promise<Instance[]> {
  const file = registryFile(home);
  // Reading must not create the registry in a home where nothing ever ran.
  if (!existsSync(file)) return [];
  const registry = new LocalRegistry(file);
  let rows;
  try {
    rows = registry.list().filter((row) => isAlive(row.pid));
  } finally {
    registry.close();
  }
  return Promise.all(rows.map(async (row): Promise<Instance> => {
    const extended = await extendedMetadata(row.httpPort, metadataTimeoutMs) ?? {};
    return {
      appId: row.appId,
      httpPort: row.httpPort,
      grpcPort: row.grpcPort,
      appPort: row.appPort ?? 0,
      daprdPid: row.pid,
      startedAt: row.startedAt,
      cliPid: pid(extended.cliPID),
      appPid: pid(extended.appPID),
      command: extended.appCommand ?? '',
      runTemplatePath: extended.runTemplatePath ?? '',
      runTemplateName: extended.runTemplateName ?? '',
    };
  }));
}

function pid(value: string | undefined): number {
  const number = Number(value);
  return Number.isInteger(number) && number > 0 ? number : 0;
}

/**
 * The instance's cliPID if it can be believed: alive and, where /proc tells us the sidecar's parent,
 * that parent. cliPID is whatever someone PUT into the metadata, so it is checked before being signalled.
 */
export function trustedCliPid(instance: Instance): number | undefined {
  const { cliPid } = instance;
  if (cliPid <= 0 || !isAlive(cliPid)) return undefined;
  const parent = parentPid(instance.daprdPid);
  return parent === undefined || parent === cliPid ? cliPid : undefined;
}

/**
 * The pid to signal to stop an instance, as dapr stop chooses it: the CLI that runs it when that
 * CLI runs only this app (it then stops app and sidecar in order), else the sidecar itself.
 */
export function stopTarget(instance: Instance, all: readonly Instance[]): number {
  const cliPid = trustedCliPid(instance);
  if (cliPid === undefined) return instance.daprdPid;
  const sharing = all.filter((other) => other.cliPid === cliPid).length;
  return sharing > 1 ? instance.daprdPid : cliPid;
}

/** The parent pid from /proc on Linux; undefined where /proc is not available. */
export function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces; ppid is the 2nd field after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}
