import { Option, type Command } from 'commander';
import { sidecarFlags } from '@outrigger/runtime';

/**
 * Sidecar flags `outrigger run` passes through unchanged: dapr run's app health flags and
 * Outrigger's lifecycle flags. Their help text comes from the sidecar's flag table.
 */
const passThrough = [
  'enable-app-health-check', 'app-health-check-path', 'app-health-probe-interval', 'app-health-probe-timeout', 'app-health-threshold',
  'app-ready-path', 'app-busy-path', 'dapr-graceful-shutdown-seconds', 'dapr-block-shutdown-duration',
] as const;

export function addLifecycleFlags(command: Command): Command {
  for (const name of passThrough) {
    const flag = sidecarFlags.find((candidate) => candidate.name === name);
    if (!flag) throw new Error(`the sidecar has no flag --${name}`);
    command.addOption(new Option(flag.kind === 'boolean' ? `--${name}` : `--${name} <value>`, flag.description));
  }
  return command;
}

/** The pass-through flags given on the command line, as sidecar arguments. */
export function lifecycleArgs(command: Command): string[] {
  const values = command.opts<Record<string, string | boolean | undefined>>();
  const args: string[] = [];
  for (const name of passThrough) {
    const value = values[name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase())];
    if (value === undefined || value === false) continue;
    args.push(`--${name}`);
    if (value !== true) args.push(value);
  }
  return args;
}
