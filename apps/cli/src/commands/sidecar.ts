import { Command, Option } from 'commander';
import { errorMessage } from '@outrigger/kit';
import { OptionsError, resolveSidecarOptions, Sidecar, sidecarFlags, type FlagSpec } from '@outrigger/runtime';

/** Adds one commander option per row of the sidecar flag table, with daprd's names. */
export function addSidecarFlags(command: Command, flags: readonly FlagSpec[] = sidecarFlags): Command {
  for (const flag of flags) {
    for (const name of [flag.name, ...(flag.aliases ?? [])]) {
      const description = name === flag.name ? flag.description : `alias of --${flag.name}`;
      const option = flag.kind === 'boolean'
        ? new Option(`--${name} [value]`, description).argParser(parseBooleanFlag)
        : flag.kind === 'list'
          ? new Option(`--${name} <value>`, description).argParser(collect)
          : new Option(`--${name} <value>`, description);
      if (flag.default !== undefined && name === flag.name) option.default(undefined, String(flag.default));
      command.addOption(option);
    }
  }
  return command;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function parseBooleanFlag(value: string | undefined): boolean {
  return value === undefined || !['false', '0', 'no'].includes(value.toLowerCase());
}

/** Commander keys options by camelCase; the flag table is keyed by daprd's kebab-case names. */
export function flagValues(command: Command, flags: readonly FlagSpec[] = sidecarFlags): Record<string, string | boolean | string[] | undefined> {
  const opts = command.opts<Record<string, string | boolean | string[] | undefined>>();
  const values: Record<string, string | boolean | string[] | undefined> = {};
  for (const flag of flags) {
    for (const name of [flag.name, ...(flag.aliases ?? [])]) {
      const value = opts[camelCase(name)];
      // Commander treats a bare --flag with optional value as `true`.
      if (value !== undefined) values[name] = value;
    }
  }
  return values;
}

function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** `outrigger sidecar`: the daprd equivalent. Exits non-zero when start-up fails. */
export function sidecarCommand(): Command {
  const command = new Command('sidecar')
    .description('Run the Outrigger sidecar (the daprd equivalent), with daprd\'s flags')
    .allowExcessArguments(false);
  addSidecarFlags(command);
  command.action(async () => {
    let options;
    try {
      options = resolveSidecarOptions(flagValues(command));
    } catch (error) {
      if (error instanceof OptionsError) {
        process.stderr.write(`outrigger sidecar: ${error.message}\n`);
        process.exit(2);
      }
      throw error;
    }
    const sidecar = new Sidecar(options);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        sidecar.logger.info(`received ${signal}, shutting down`);
        void sidecar.stop();
      });
    }
    try {
      await sidecar.start();
    } catch (error) {
      sidecar.logger.fatal(`start-up failed: ${errorMessage(error)}`);
      await sidecar.stop().catch(() => undefined);
      process.exit(1);
    }
    await sidecar.stopped;
    sidecar.logger.info('stopped');
    process.exit(sidecar.exitCode);
  });
  return command;
}
