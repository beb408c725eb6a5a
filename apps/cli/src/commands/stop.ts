import { Command } from 'commander';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * `outrigger stop`: the `dapr stop` equivalent. SIGTERM goes to the `outrigger run` that owns the
 * app (so it stops app and sidecar in order) or, when that CLI runs several apps, to the sidecar.
 * Unlike dapr stop it waits until the sidecar is gone and exits 1 when an app was not found.
 */
export function stopCommand(): Command {
  return new Command('stop')
    .description('Stop apps started with outrigger run')
    .argument('[app-ids...]', 'app ids to stop')
    .option('-a, --app-id <id>', 'the app id to stop; repeatable', collect)
    .option('-f, --run-file <path>', 'stop every app started from this run file (or folder with dapr.yaml)')
    .action(async (ids: string[], options: { appId?: string[]; runFile?: string }) => {
      // Imported here so that other commands (the sidecar above all) do not load the run-file parser.
      const { stopApps } = await import('./stop-apps.js');
      await stopApps(ids, options);
    });
}
