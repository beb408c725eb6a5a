// The `outrigger` command line: every command with its options, parsed from process.argv. Loaded by
// main.ts, from the bundle (dist/bundle/cli.js) when that is up to date, else as compiled.
import { Command } from 'commander';
import { runtimeVersion } from '@outrigger/runtime';
import { initCommand } from './commands/init.js';
import { listCommand } from './commands/list.js';
import { prestopCommand } from './commands/prestop.js';
import { runCommand } from './commands/run.js';
import { sidecarCommand } from './commands/sidecar.js';
import { stopCommand } from './commands/stop.js';

const program = new Command('outrigger')
  .description('Outrigger: a distributed application runtime, wire-compatible with Dapr')
  .version(runtimeVersion)
  // So `run` can pass options after the app command through to the app (`run -- node app.js --port 3`).
  .enablePositionalOptions();

program.addCommand(sidecarCommand());
program.addCommand(runCommand());
program.addCommand(initCommand());
program.addCommand(listCommand());
program.addCommand(stopCommand());
program.addCommand(prestopCommand());

await program.parseAsync(process.argv);
