import { existsSync } from 'node:fs';
import { errorMessage } from '@outrigger/kit';
import { LocalRegistry, outriggerHome } from '@outrigger/runtime';
import { exitCodeOf, launchPair, resolvePorts, type PairSettings } from './app-launcher.js';
import { randomAppId } from './app-id.js';
import { defaultConfigPath, defaultResourcesPaths, registryFile } from './home-paths.js';
import { exitWhenFlushed } from './processes.js';
import { onStopSignals } from './signals.js';
import type { StatusPrinter } from './status-printer.js';

/** The options of `outrigger run`, as commander parses them (see run.ts). */
export interface RunOptions {
  appId?: string;
  appPort?: number;
  appProtocol: string;
  daprHttpPort?: number;
  daprGrpcPort?: number;
  daprInternalGrpcPort?: number;
  metricsPort?: number;
  resourcesPath?: string[];
  componentsPath?: string[];
  config?: string;
  logLevel?: string;
  logAsJson?: boolean;
  enableApiLogging?: boolean;
  appMaxConcurrency?: number;
  maxBodySize?: string;
  daprHttpMaxRequestSize?: number;
  appChannelAddress: string;
  daprListenAddresses?: string;
  runFile?: string;
}

/** `outrigger run` with one app: launches it with its sidecar and exits with the app's code. */
export async function runSingleApp(args: string[], options: RunOptions, printer: StatusPrinter, extraSidecarArgs: string[]): Promise<void> {
  const home = outriggerHome();
  if (args.length === 0) printer.warning('No application command found; running the Outrigger sidecar alone.');
  const resourcesPaths = [...(options.resourcesPath ?? []), ...(options.componentsPath ?? [])];
  const settings: PairSettings = {
    appId: options.appId ?? randomAppId(runningAppIds(home)),
    command: args,
    cwd: process.cwd(),
    env: {},
    appPort: options.appPort !== undefined && options.appPort > 0 ? options.appPort : undefined,
    appProtocol: options.appProtocol,
    appChannelAddress: options.appChannelAddress,
    ports: {
      httpPort: options.daprHttpPort, grpcPort: options.daprGrpcPort,
      internalGrpcPort: options.daprInternalGrpcPort, metricsPort: options.metricsPort,
    },
    resourcesPaths: resourcesPaths.length > 0 ? resourcesPaths : defaultResourcesPaths(home),
    configPath: options.config ?? defaultConfigPath(home),
    logLevel: options.logLevel,
    logAsJson: options.logAsJson ?? false,
    enableApiLogging: options.enableApiLogging ?? false,
    appMaxConcurrency: options.appMaxConcurrency,
    maxBodySize: options.maxBodySize,
    httpMaxRequestSize: options.daprHttpMaxRequestSize,
    listenAddresses: options.daprListenAddresses,
    metadata: {},
    extraSidecarArgs,
    appPrefix: '== APP == ',
    sidecarPrefix: '== OUTRIGGER == ',
  };
  const [spec] = await resolvePorts([settings]);
  if (!spec) throw new Error('no ports resolved');
  const pair = launchPair(spec, printer);
  let signalled = false;
  onStopSignals(() => {
    signalled = true;
    printer.info('terminated signal received: shutting down');
    void pair.stop();
  }, () => pair.kill());
  const outcome = await pair.ended;
  // A stop we were asked for is a success, whatever the children's codes were.
  exitWhenFlushed(signalled ? 0 : exitCodeOf(outcome));
}

/** App ids of live sidecars, so a generated id does not clash with a running app. */
function runningAppIds(home: string): Set<string> {
  const file = registryFile(home);
  if (!existsSync(file)) return new Set();
  try {
    const registry = new LocalRegistry(file);
    try {
      return new Set(registry.list().map((entry) => entry.appId));
    } finally {
      registry.close();
    }
  } catch (error) {
    process.stderr.write(`outrigger run: could not read ${file}: ${errorMessage(error)}\n`);
    return new Set();
  }
}
