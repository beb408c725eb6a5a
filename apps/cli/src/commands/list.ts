import { Command } from 'commander';
import { outriggerHome } from '@outrigger/runtime';
import type { Instance } from './instances.js';
import { StatusPrinter } from './status-printer.js';

/** One row of `list -o json`, with dapr list's field names. */
export interface ListRow {
  appId: string;
  httpPort: number;
  grpcPort: number;
  appPort: number;
  command: string;
  age: string;
  created: string;
  daprdPid: number;
  cliPid: number;
  appPid: number;
  runTemplatePath: string;
  runTemplateName: string;
}

/** dapr's age format (pkg/age): whole days, else hours, else minutes, else seconds. */
export function formatAge(since: number, now = Date.now()): string {
  const seconds = Math.max(0, Math.floor((now - since) / 1000));
  if (seconds >= 86_400) return `${Math.floor(seconds / 86_400)}d`;
  if (seconds >= 3_600) return `${Math.floor(seconds / 3_600)}h`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)}m`;
  return `${seconds}s`;
}

/** dapr list's `created` layout, Go's "2006-01-02 15:04.05" (sic: a dot before the seconds), local time. */
export function formatCreated(time: number): string {
  const date = new Date(time);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}.${two(date.getSeconds())}`;
}

/** dapr list cuts the command to 20 characters. */
function truncate(command: string): string {
  return command.length > 20 ? `${command.slice(0, 17)}...` : command;
}

export function toListRow(instance: Instance, now = Date.now()): ListRow {
  return {
    appId: instance.appId,
    httpPort: instance.httpPort,
    grpcPort: instance.grpcPort,
    appPort: instance.appPort,
    command: truncate(instance.command),
    age: formatAge(instance.startedAt, now),
    created: formatCreated(instance.startedAt),
    daprdPid: instance.daprdPid,
    cliPid: instance.cliPid,
    appPid: instance.appPid,
    runTemplatePath: instance.runTemplatePath,
    runTemplateName: instance.runTemplateName,
  };
}

/** A plain left-aligned table, no borders, as dapr list prints it. */
export function renderTable(rows: readonly ListRow[]): string {
  const columns: [string, (row: ListRow) => string | number][] = [
    ['APP ID', (row) => row.appId], ['HTTP PORT', (row) => row.httpPort], ['GRPC PORT', (row) => row.grpcPort],
    ['APP PORT', (row) => row.appPort], ['COMMAND', (row) => row.command], ['AGE', (row) => row.age],
    ['SIDECAR PID', (row) => row.daprdPid], ['CLI PID', (row) => row.cliPid], ['APP PID', (row) => row.appPid],
  ];
  const cells = [columns.map(([title]) => title), ...rows.map((row) => columns.map(([, value]) => String(value(row))))];
  const widths = columns.map((_, index) => Math.max(...cells.map((line) => (line[index] ?? '').length)));
  return cells.map((line) => line.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  ').trimEnd()).join('\n');
}

/** `outrigger list`: the running sidecars of this machine (of this OUTRIGGER_HOME). */
export function listCommand(): Command {
  return new Command('list')
    .description('List the running Outrigger sidecars and their apps')
    .option('-o, --output <format>', 'table or json', 'table')
    .action(async (options: { output: string }) => {
      if (!['table', 'json'].includes(options.output)) {
        new StatusPrinter().failure('An invalid output format was specified.');
        process.exitCode = 1;
        return;
      }
      // Imported here so that the sidecar command does not load the instance registry reader.
      const { liveInstances } = await import('./instances.js');
      const rows = (await liveInstances(outriggerHome())).map((instance) => toListRow(instance));
      if (options.output === 'json') process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else if (rows.length === 0) process.stdout.write('No Outrigger instances found.\n');
      else process.stdout.write(`${renderTable(rows)}\n`);
    });
}
