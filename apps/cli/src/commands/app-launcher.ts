import { fileURLToPath } from 'node:url';
import { delay, errorMessage } from '@outrigger/kit';
import { freePorts } from './free-ports.js';
import { SIDECAR_NODE_FLAGS } from './sidecar-node-flags.js';
import { describeExit, settlesWithin, spawnChild, terminate, type Child, type ChildExit } from './processes.js';
import { isOutboundReady, putMetadata } from './sidecar-client.js';
import type { StatusPrinter } from './status-printer.js';

/** Grace before SIGKILL: the sidecar drains in-flight calls (5 s by default), so it gets more time than the app. */
const SIDECAR_GRACE_MS = 10_000;
const APP_GRACE_MS = 5_000;
/** How long `run` waits for the sidecar before starting an app that has no port (dapr waits 60 s too). */
const SIDECAR_WAIT_MS = 60_000;
/** How long metadata writes are retried; the sidecar may still be initialising components. */
const METADATA_WAIT_MS = 60_000;

export interface PairPorts {
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly internalGrpcPort: number;
  readonly metricsPort: number;
}

/** Everything needed to start one sidecar and its app; ports left out (or ≤ 0) are picked free. */
export interface PairSettings {
  readonly appId: string;
  /** The app command and its arguments; empty runs the sidecar alone. */
  readonly command: readonly string[];
  readonly cwd: string;
  /** Extra environment for the app (the run file's `env`), applied last. */
  readonly env: Readonly<Record<string, string>>;
  readonly appPort: number | undefined;
  readonly appProtocol: string;
  readonly appChannelAddress: string;
  readonly ports: Partial<PairPorts>;
  readonly resourcesPaths: readonly string[];
  readonly configPath: string | undefined;
  readonly logLevel: string | undefined;
  readonly logAsJson: boolean;
  readonly enableApiLogging: boolean;
  readonly appMaxConcurrency: number | undefined;
  readonly maxBodySize: string | undefined;
  readonly httpMaxRequestSize: number | undefined;
  readonly listenAddresses: string | undefined;
  /** Metadata stored in the sidecar besides cliPID/appPID/appCommand (e.g. runTemplatePath). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Further sidecar flags passed through as given (app health and lifecycle flags). */
  readonly extraSidecarArgs?: readonly string[];
  readonly appPrefix: string;
  readonly sidecarPrefix: string;
}

export interface PairSpec extends Omit<PairSettings, 'ports'> {
  readonly ports: PairPorts;
}

/** Why a pair ended: its app exited, its sidecar exited, or it was asked to stop. */
export type PairOutcome =
  | { readonly kind: 'app-exited'; readonly exit: ChildExit }
  | { readonly kind: 'sidecar-exited'; readonly exit: ChildExit }
  | { readonly kind: 'stopped' };

export interface LaunchedPair {
  readonly spec: PairSpec;
  readonly sidecar: Child;
  app(): Child | undefined;
  /** Resolves once both processes are gone. */
  readonly ended: Promise<PairOutcome>;
  /** Stops app and sidecar (SIGTERM, then SIGKILL after their grace); resolves as `ended`. */
  stop(): Promise<PairOutcome>;
  /** SIGKILLs both at once, for a second Ctrl-C. */
  kill(): void;
}

/** `dist/main.js` of this CLI: the sidecar runs as `node main.js sidecar ...`, the same build as `run`. */
export function cliMainPath(): string {
  return fileURLToPath(new URL('../main.js', import.meta.url));
}

/** Fills every missing port with a free one, picked in one go so no two apps share a port. */
export async function resolvePorts(settings: readonly PairSettings[]): Promise<PairSpec[]> {
  const keys = ['httpPort', 'grpcPort', 'internalGrpcPort', 'metricsPort'] as const;
  const missing = settings.reduce((count, item) => count + keys.filter((key) => !((item.ports[key] ?? 0) > 0)).length, 0);
  const free = await freePorts(missing);
  return settings.map((item) => {
    const ports = Object.fromEntries(keys.map((key) => {
      const given = item.ports[key] ?? 0;
      return [key, given > 0 ? given : free.shift() ?? 0];
    })) as unknown as PairPorts;
    return { ...item, ports };
  });
}

/** The `outrigger sidecar` arguments for a pair, with daprd's flag names as dapr run passes them. */
export function sidecarArgs(spec: PairSpec): string[] {
  const args = ['--app-id', spec.appId];
  if (spec.appPort !== undefined) args.push('--app-port', String(spec.appPort));
  args.push('--app-protocol', spec.appProtocol);
  // As dapr run: only passed when not the default.
  if (spec.appChannelAddress !== '127.0.0.1') args.push('--app-channel-address', spec.appChannelAddress);
  args.push(
    '--dapr-http-port', String(spec.ports.httpPort),
    '--dapr-grpc-port', String(spec.ports.grpcPort),
    '--dapr-internal-grpc-port', String(spec.ports.internalGrpcPort),
    '--metrics-port', String(spec.ports.metricsPort),
  );
  for (const path of spec.resourcesPaths) args.push('--resources-path', path);
  if (spec.configPath !== undefined) args.push('--config', spec.configPath);
  if (spec.logLevel !== undefined) args.push('--log-level', spec.logLevel);
  if (spec.logAsJson) args.push('--log-as-json');
  if (spec.enableApiLogging) args.push('--enable-api-logging');
  if (spec.appMaxConcurrency !== undefined && spec.appMaxConcurrency > 0) args.push('--app-max-concurrency', String(spec.appMaxConcurrency));
  if (spec.maxBodySize !== undefined) args.push('--max-body-size', spec.maxBodySize);
  if (spec.httpMaxRequestSize !== undefined) args.push('--dapr-http-max-request-size', String(spec.httpMaxRequestSize));
  if (spec.listenAddresses !== undefined) args.push('--dapr-listen-addresses', spec.listenAddresses);
  args.push(...(spec.extraSidecarArgs ?? []));
  return args;
}

/** The app's environment: ours, plus what dapr run sets, plus the run file's `env` (which wins). */
export function appEnv(spec: PairSpec, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...base,
    APP_ID: spec.appId,
    APP_CHANNEL_ADDRESS: spec.appChannelAddress,
    ...(spec.appPort === undefined ? {} : { APP_PORT: String(spec.appPort) }),
    DAPR_HTTP_PORT: String(spec.ports.httpPort),
    DAPR_GRPC_PORT: String(spec.ports.grpcPort),
    DAPR_METRICS_PORT: String(spec.ports.metricsPort),
    APP_PROTOCOL: spec.appProtocol.toLowerCase(),
    ...spec.env,
  };
}

/**
 * Starts one sidecar and its app, the unit both `run` and `run -f` are made of. The app starts at
 * once when it has a port (the sidecar waits for that port itself), else once the sidecar answers
 * `/v1.0/healthz/outbound`. When either process exits the other is stopped, so a pair never leaves
 * half of itself running.
 */
export function launchPair(spec: PairSpec, printer: StatusPrinter): LaunchedPair {
  printer.info(`Starting Outrigger with id ${spec.appId}. HTTP Port: ${spec.ports.httpPort}. gRPC Port: ${spec.ports.grpcPort}`);
  const sidecar = spawnChild(process.execPath, [...SIDECAR_NODE_FLAGS, cliMainPath(), 'sidecar', ...sidecarArgs(spec)], {
    cwd: spec.cwd, env: process.env, prefix: spec.sidecarPrefix, group: true,
  });
  const abort = new AbortController();
  let app: Child | undefined;
  let outcome: PairOutcome | undefined;
  let settle!: (outcome: PairOutcome) => void;
  const ended = new Promise<PairOutcome>((resolve) => {
    settle = resolve;
  });

  const finish = (next: PairOutcome): Promise<PairOutcome> => {
    if (outcome !== undefined) return ended;
    outcome = next;
    abort.abort();
    void (async () => {
      const stopping = app;
      await Promise.all([stopping ? terminate(stopping, APP_GRACE_MS) : undefined, terminate(sidecar, SIDECAR_GRACE_MS)]);
      // Let the last output lines through; a grandchild holding the pipe must not hold us too.
      await settlesWithin(Promise.all([sidecar.closed, stopping?.closed]), 2_000);
      if (next.kind !== 'app-exited' && stopping !== undefined) printer.success(`Exited App successfully (${spec.appId})`);
      if (next.kind !== 'sidecar-exited') {
        const exit = await sidecar.exited;
        if (exit.code === 0 || exit.signal === 'SIGTERM') printer.success(`Exited Outrigger sidecar successfully (${spec.appId})`);
        else printer.warning(`The Outrigger sidecar of ${spec.appId} ${describeExit(exit)}`);
      }
      settle(next);
    })();
    return ended;
  };

  void sidecar.exited.then((exit) => {
    if (outcome !== undefined) return;
    if (exit.code === 0) printer.success(`Exited Outrigger sidecar successfully (${spec.appId})`);
    else printer.failure(`The Outrigger sidecar of ${spec.appId} ${describeExit(exit)}`);
    void finish({ kind: 'sidecar-exited', exit });
  });

  const startApp = async (): Promise<void> => {
    const [file, ...args] = spec.command;
    if (file === undefined) {
      await recordMetadata(spec, {}, printer, abort.signal);
      return;
    }
    if (spec.appPort === undefined) {
      printer.info(`Checking if the Outrigger sidecar of ${spec.appId} is listening on HTTP port ${spec.ports.httpPort}`);
      const ready = await waitUntil(() => isOutboundReady(spec.ports.httpPort), SIDECAR_WAIT_MS, abort.signal);
      if (outcome !== undefined) return;
      if (ready) printer.info(`Outrigger sidecar of ${spec.appId} is up and running.`);
      else printer.warning(`Outrigger sidecar of ${spec.appId} might not be responding; starting the app anyway.`);
    }
    if (outcome !== undefined) return;
    const started = spawnChild(file, args, { cwd: spec.cwd, env: appEnv(spec), prefix: spec.appPrefix, group: true });
    app = started;
    void started.exited.then((exit) => {
      if (outcome !== undefined) return;
      if (exit.error) printer.failure(`The App command of ${spec.appId} could not be started: ${exit.error.message}`);
      else if (exit.code === 0) printer.success(`Exited App successfully (${spec.appId})`);
      else if (exit.signal) printer.failure(`The App process of ${spec.appId} was terminated by signal: ${exit.signal}`);
      else printer.failure(`The App process of ${spec.appId} exited with error code: ${exit.code ?? 'unknown'}`);
      void finish({ kind: 'app-exited', exit });
    });
    if (started.pid === undefined) return;
    // appPID last: `outrigger list` treats a row with an app pid as complete, so the command must be there by then.
    await recordMetadata(spec, { appCommand: spec.command.join(' '), appPID: String(started.pid) }, printer, abort.signal);
  };
  void startApp().catch((error: unknown) => printer.failure(`starting ${spec.appId} failed: ${errorMessage(error)}`));

  return {
    spec,
    sidecar,
    app: () => app,
    ended,
    stop: () => finish({ kind: 'stopped' }),
    kill: () => {
      app?.signal('SIGKILL');
      sidecar.signal('SIGKILL');
    },
  };
}

/**
 * Stores cliPID (and the rest) in the sidecar's metadata, as dapr run does, so `outrigger list` can
 * show the processes and `outrigger stop` can stop the CLI that owns a sidecar. Retried until the
 * sidecar answers, within METADATA_WAIT_MS.
 */
async function recordMetadata(spec: PairSpec, appEntries: Record<string, string>, printer: StatusPrinter, signal: AbortSignal): Promise<void> {
  const entries = Object.entries({ cliPID: String(process.pid), ...spec.metadata, ...appEntries });
  const deadline = Date.now() + METADATA_WAIT_MS;
  for (const [key, value] of entries) {
    for (;;) {
      if (signal.aborted) return;
      try {
        await putMetadata(spec.ports.httpPort, key, value);
        break;
      } catch (error) {
        if (Date.now() > deadline) {
          printer.warning(`Could not record ${key} in the sidecar of ${spec.appId}: ${errorMessage(error)}`);
          return;
        }
        try {
          await delay(200, signal);
        } catch {
          return;
        }
      }
    }
  }
  printer.success(spec.command.length > 0
    ? `You're up and running! Both Outrigger and your app logs will appear here (${spec.appId}).`
    : `You're up and running! Outrigger logs will appear here (${spec.appId}).`);
}

/** Polls `check` every 100 ms until true, `timeoutMs` passes, or `signal` aborts. */
async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!signal.aborted && Date.now() < deadline) {
    if (await check()) return true;
    try {
      await delay(100, signal);
    } catch {
      return false;
    }
  }
  return false;
}

/** `outrigger run`'s exit code for a pair: the app's code, a failed sidecar's code, 0 after a stop. */
export function exitCodeOf(outcome: PairOutcome): number {
  if (outcome.kind === 'stopped') return 0;
  const { exit } = outcome;
  if (exit.error || exit.signal !== null) return 1;
  return exit.code ?? 1;
}
