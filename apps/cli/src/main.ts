#!/usr/bin/env node
import { Command } from 'commander';
import { runtimeVersion } from '@outrigger/runtime';
import { sidecarCommand } from './commands/sidecar.js';

const program = new Command('outrigger')
  .description('Outrigger: a distributed application runtime, wire-compatible with Dapr')
  .version(runtimeVersion);

program.addCommand(sidecarCommand());

await program.parseAsync(process.argv);
