import { delay } from '@outrigger/kit';
import { outriggerHome } from '@outrigger/runtime';
import { liveInstances, stopTarget, trustedCliPid, type Instance } from './instances.js';
import { isAlive } from './processes.js';
import { resolveRunFilePath, RunFileError } from './run-file.js';
import { StatusPrinter } from './status-printer.js';

/** How long `stop` waits for a sidecar to be gone before saying it did not stop. */
const STOP_WAIT_MS = 20_000;

/** What `outrigger stop` does once its arguments are parsed; sets process.exitCode 1 when an app was not stopped. */
export async function stopApps(ids: string[], options: { appId?: string[]; runFile?: string }): Promise<void> {
  const printer = new StatusPrinter();
  const instances = await liveInstances(outriggerHome());
  let ok = true;
  if (options.runFile !== undefined) ok = await stopRunFile(options.runFile, instances, printer);
  const appIds = [...ids, ...(options.appId ?? [])];
  if (appIds.length === 0 && options.runFile === undefined) {
    printer.failure('Give an app id (--app-id) or a run file (-f).');
    ok = false;
  }
  for (const appId of appIds) {
    const matches = instances.filter((instance) => instance.appId === appId);
    if (matches.length === 0) {
      printer.failure(`failed to stop app id ${appId}: couldn't find app id ${appId}`);
      ok = false;
      continue;
    }
    if (await stopInstances(matches, instances)) printer.success(`app stopped successfully: ${appId}`);
    else {
      printer.failure(`failed to stop app id ${appId}: still running after ${STOP_WAIT_MS / 1000} s`);
      ok = false;
    }
  }
  if (!ok) process.exitCode = 1;
}

async function stopRunFile(path: string, instances: readonly Instance[], printer: StatusPrinter): Promise<boolean> {
  let file: string;
  try {
    file = resolveRunFilePath(path);
  } catch (error) {
    if (!(error instanceof RunFileError)) throw error;
    printer.failure(error.message);
    return false;
  }
  const matches = instances.filter((instance) => instance.runTemplatePath === file);
  if (matches.length === 0) {
    printer.failure(`Failed to stop Outrigger and app processes: couldn't find apps with run file "${file}"`);
    return false;
  }
  // The whole run: its CLI (one pid for all apps) rather than each sidecar.
  const targets = new Set(matches.map((instance) => trustedCliPid(instance) ?? instance.daprdPid));
  const stopped = await signalAndWait([...targets], matches);
  for (const instance of matches) {
    if (!isAlive(instance.daprdPid)) printer.success(`app stopped successfully: ${instance.appId}`);
    else printer.failure(`failed to stop app id ${instance.appId}: still running after ${STOP_WAIT_MS / 1000} s`);
  }
  return stopped;
}

async function stopInstances(matches: readonly Instance[], all: readonly Instance[]): Promise<boolean> {
  return signalAndWait([...new Set(matches.map((instance) => stopTarget(instance, all)))], matches);
}

/** SIGTERM to each target, then waits (bounded) until the instances' sidecars are gone. */
async function signalAndWait(targets: readonly number[], instances: readonly Instance[]): Promise<boolean> {
  for (const pid of targets) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  const deadline = Date.now() + STOP_WAIT_MS;
  const watched = [...new Set([...targets, ...instances.map((instance) => instance.daprdPid)])];
  while (watched.some(isAlive)) {
    if (Date.now() > deadline) return false;
    await delay(100);
  }
  return true;
}
