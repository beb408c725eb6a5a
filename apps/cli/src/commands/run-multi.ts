import { outriggerHome } from '@outrigger/runtime';
import { exitCodeOf, launchPair, resolvePorts, type PairSettings } from './app-launcher.js';
import { exitWhenFlushed } from './processes.js';
import { loadRunFile, RunFileError, type RunFilePlan } from './run-file.js';
import { onStopSignals } from './signals.js';
import type { StatusPrinter } from './status-printer.js';

/**
 * `outrigger run -f`: one sidecar+app pair per app of the run file, all started together. As with
 * dapr, one app ending does not stop the others; SIGINT/SIGTERM stop them all (exit 0). Unlike dapr,
 * run also ends once every pair has ended (exit 1 if any app or sidecar failed).
 */
export async function runMultiApp(path: string, printer: StatusPrinter, logAsJson: boolean): Promise<void> {
  let plan: RunFilePlan;
  try {
    plan = loadRunFile(path, outriggerHome());
  } catch (error) {
    if (!(error instanceof RunFileError)) throw error;
    printer.failure(error.message);
    exitWhenFlushed(1);
    return;
  }
  for (const warning of plan.warnings) printer.warning(warning);
  const settings = plan.apps.map((app): PairSettings => {
    printer.info(`Validating config and starting app "${app.appId}"`);
    if (app.command.length === 0) printer.warning(`No application command found for app "${app.appId}" present in ${plan.file}`);
    return {
      appId: app.appId,
      command: app.command,
      cwd: app.appDir,
      env: app.env,
      appPort: app.appPort,
      appProtocol: app.appProtocol,
      appChannelAddress: app.appChannelAddress,
      ports: { httpPort: app.httpPort, grpcPort: app.grpcPort, internalGrpcPort: app.internalGrpcPort, metricsPort: app.metricsPort },
      resourcesPaths: app.resourcesPaths,
      configPath: app.configPath,
      logLevel: app.logLevel,
      logAsJson,
      enableApiLogging: app.enableApiLogging,
      appMaxConcurrency: app.appMaxConcurrency,
      maxBodySize: app.maxBodySize,
      httpMaxRequestSize: undefined,
      listenAddresses: app.listenAddresses,
      metadata: { runTemplatePath: plan.file, ...(plan.name ? { runTemplateName: plan.name } : {}) },
      appPrefix: `== APP - ${app.appId} == `,
      sidecarPrefix: `== OUTRIGGER - ${app.appId} == `,
    };
  });
  const specs = await resolvePorts(settings);
  const pairs = specs.map((spec) => launchPair(spec, printer));
  let signalled = false;
  onStopSignals(() => {
    signalled = true;
    printer.info('Received signal to stop Outrigger and app processes. Shutting down Outrigger and app processes.');
    for (const pair of pairs) void pair.stop();
  }, () => {
    for (const pair of pairs) pair.kill();
  });
  const outcomes = await Promise.all(pairs.map((pair) => pair.ended));
  exitWhenFlushed(signalled || outcomes.every((outcome) => exitCodeOf(outcome) === 0) ? 0 : 1);
}
