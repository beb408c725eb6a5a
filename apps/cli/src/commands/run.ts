import { Command, InvalidArgumentError, Option } from 'commander';
import { addLifecycleFlags, lifecycleArgs } from './lifecycle-flags.js';
import type { RunOptions } from './run-single.js';
import { StatusPrinter } from './status-printer.js';

function integer(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError('not an integer');
  return Number(value);
}

function port(value: string): number {
  const number = integer(value);
  // -1 and 0 mean "pick one" (or "no app port"), as in dapr run.
  if (number > 65535) throw new InvalidArgumentError('not a port number');
  return number;
}

/** Repeatable and comma-separated, like dapr run's string-slice flags. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((item) => item.trim()).filter(Boolean)];
}

const outputHelp = `
Output:
  Lines from the app are prefixed "== APP == " and lines from the sidecar "== OUTRIGGER == "
  (with -f: "== APP - <appID> == " and "== OUTRIGGER - <appID> == "); stdout stays stdout and
  stderr stays stderr. Status lines of the CLI itself start with ℹ️, ✅, ⚠ or ❌.

Lifecycle:
  The sidecar runs as a child process ("outrigger sidecar"). With --app-port the app starts at once
  (the sidecar waits for the port); without, once the sidecar answers /v1.0/healthz/outbound.
  When the app exits the sidecar is stopped and run exits with the app's code; when the sidecar
  exits the app is stopped. SIGINT/SIGTERM stop both and run exits 0.
  With -f every app gets its own sidecar; one app ending does not stop the others, and run ends
  when all have ended (exit 1 if any failed) or on SIGINT/SIGTERM (exit 0).

Examples:
  outrigger run --app-id orders --app-port 3000 -- node app.js
  outrigger run -f dapr.yaml`;

/** `outrigger run`: the `dapr run` equivalent, with its flag names and short forms. */
export function runCommand(): Command {
  const command = new Command('run')
    .description('Run an app with an Outrigger sidecar (the dapr run equivalent)')
    .argument('[command...]', 'the app command and its arguments, after --')
    .passThroughOptions()
    .option('-a, --app-id <id>', 'the app id; a random readable one when not given')
    .option('-p, --app-port <port>', 'the port the app listens on', port)
    .option('-P, --app-protocol <protocol>', 'protocol the sidecar uses to reach the app', 'http')
    .option('-H, --dapr-http-port <port>', 'HTTP port of the sidecar API; a free one when not given', port)
    .option('-G, --dapr-grpc-port <port>', 'gRPC port of the sidecar API; a free one when not given', port)
    .option('-I, --dapr-internal-grpc-port <port>', 'port for sidecar-to-sidecar calls; a free one when not given', port)
    .option('-M, --metrics-port <port>', 'metrics port; a free one when not given', port)
    .option('--resources-path <path>', 'folder of resource YAML; repeatable (default: <home>/components if it exists)', collect)
    .addOption(new Option('-d, --components-path <path>', 'deprecated alias of --resources-path').argParser(collect))
    .option('-c, --config <file>', 'Configuration YAML (default: <home>/config.yaml if it exists)')
    .option('--log-level <level>', 'sidecar log level: debug, info, warn, error, fatal')
    .option('--log-as-json', 'status lines and sidecar logs as JSON')
    .option('--enable-api-logging', 'log every API call in the sidecar')
    .option('--app-max-concurrency <n>', 'largest number of concurrent calls into the app', integer)
    .option('--max-body-size <size>', 'largest request body, e.g. 4Mi')
    .option('--dapr-http-max-request-size <mb>', 'largest request body in MB (older flag)', integer)
    .option('--app-channel-address <address>', 'address the app listens on', '127.0.0.1')
    .option('--dapr-listen-addresses <addresses>', 'comma-separated addresses the sidecar API listens on')
    .option('-f, --run-file <path>', 'run several apps from a run file (dapr run -f format), or a folder with dapr.yaml')
    .addHelpText('after', outputHelp);

  addLifecycleFlags(command);
  command.action(async (args: string[], options: RunOptions) => {
    const printer = new StatusPrinter(options.logAsJson ?? false);
    if (options.runFile !== undefined) {
      const ignored = command.options
        .map((option) => option.attributeName())
        .filter((key) => !['runFile', 'logAsJson'].includes(key) && command.getOptionValueSource(key) === 'cli');
      if (ignored.length > 0 || args.length > 0) printer.warning('With --run-file, other flags and the command are ignored (except --log-as-json).');
      // Imported here so other commands (the sidecar above all) do not load the launcher, yaml or zod.
      const { runMultiApp } = await import('./run-multi.js');
      await runMultiApp(options.runFile, printer, options.logAsJson ?? false);
      return;
    }
    const { runSingleApp } = await import('./run-single.js');
    await runSingleApp(args, options, printer, lifecycleArgs(command));
  });
  return command;
}
