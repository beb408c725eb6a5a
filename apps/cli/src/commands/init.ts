import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Command } from 'commander';
import { outriggerHome } from '@outrigger/runtime';
import { componentsDir, configFile } from './home-paths.js';
import { StatusPrinter } from './status-printer.js';

/** A file `outrigger init` provides; written only when absent so user edits survive a second init. */
export interface DefaultFile {
  readonly path: string;
  readonly content: string;
}

// JSON strings are valid YAML double-quoted scalars, so paths with spaces, colons or backslashes stay intact.
const quoted = (value: string): string => JSON.stringify(value);

/**
 * The default files under the Outrigger home, in the spirit of `dapr init`: a state store good for
 * actors, a durable pub/sub broker shared by every app on the machine, and a Configuration.
 * Everything is embedded (SQLite), so no Docker and no server.
 */
export function defaultFiles(home: string): DefaultFile[] {
  return [
    {
      path: join(componentsDir(home), 'statestore.yaml'),
      content: `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: state.sqlite
  version: v1
  metadata:
    - name: connectionString
      value: ${quoted(join(home, 'state.db'))}
    - name: actorStateStore
      value: "true"
`,
    },
    {
      path: join(componentsDir(home), 'pubsub.yaml'),
      content: `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: pubsub
spec:
  type: pubsub.sqlite
  version: v1
  metadata:
    - name: connectionString
      value: ${quoted(join(home, 'pubsub.db'))}
`,
    },
    {
      path: configFile(home),
      content: `apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: daprConfig
spec: {}
`,
    },
  ];
}

export interface InitResult {
  readonly written: string[];
  readonly kept: string[];
}

/** Creates `<home>/components` and writes each default file that does not exist yet. */
export function initHome(home: string): InitResult {
  mkdirSync(componentsDir(home), { recursive: true });
  const result: InitResult = { written: [], kept: [] };
  for (const file of defaultFiles(home)) {
    if (existsSync(file.path)) {
      result.kept.push(file.path);
      continue;
    }
    // 'wx' so a file created meanwhile by someone else is kept, not overwritten.
    try {
      writeFileSync(file.path, file.content, { flag: 'wx' });
      result.written.push(file.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      result.kept.push(file.path);
    }
  }
  return result;
}

/** `outrigger init`: the `dapr init --slim` equivalent, with nothing to download. */
export function initCommand(): Command {
  return new Command('init')
    .description('Set up the Outrigger home (OUTRIGGER_HOME or ~/.outrigger): a SQLite state store component and a default configuration')
    .option('--log-as-json', 'status lines as JSON')
    .action((options: { logAsJson?: boolean }) => {
      const home = outriggerHome();
      const printer = new StatusPrinter(options.logAsJson ?? false);
      const result = initHome(home);
      for (const path of result.written) printer.success(`Wrote ${relative(home, path)} in ${home}`);
      for (const path of result.kept) printer.info(`Kept existing ${relative(home, path)} in ${home}`);
      printer.success(`Outrigger home is ready: ${home}. Resources in ${componentsDir(home)} are used by "outrigger run" by default.`);
    });
}
