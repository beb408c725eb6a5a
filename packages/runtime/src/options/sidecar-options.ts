import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseDuration, type LogLevel } from '@outrigger/kit';
import { sidecarFlags, type FlagSpec } from './sidecar-flags.js';

/** The sidecar's settings after defaults are filled and values checked; frozen. */
export interface SidecarOptions {
  readonly appId: string;
  readonly appPort: number | undefined;
  readonly appProtocol: 'http' | 'grpc';
  readonly appChannelAddress: string;
  readonly appMaxConcurrency: number;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly internalPort: number;
  readonly listenAddresses: readonly string[];
  readonly resourcesPaths: readonly string[];
  readonly configPath: string | undefined;
  readonly logLevel: LogLevel;
  readonly logAsJson: boolean;
  readonly maxBodyBytes: number;
  /** `--enable-api-logging`; undefined when not given, so the Configuration's `spec.logging.apiLogging.enabled` decides. */
  readonly enableApiLogging: boolean | undefined;
  readonly gracefulShutdownMs: number;
  readonly namespace: string;
  /** `DAPR_API_TOKEN`: when set, API calls must carry it. */
  readonly apiToken: string | undefined;
  /** `APP_API_TOKEN`: when set, calls into the app carry it. */
  readonly appApiToken: string | undefined;
  /** Folder for Outrigger's local files (name-resolution registry); `OUTRIGGER_HOME` or ~/.outrigger. */
  readonly homeDir: string;
  /** Warnings about accepted but ignored flags, for the log. */
  readonly warnings: readonly string[];
  /** App health checks; undefined when `--enable-app-health-check` is off. */
  readonly appHealth: { readonly path: string; readonly intervalMs: number; readonly timeoutMs: number; readonly threshold: number } | undefined;
  /** `--app-ready-path`: must answer 2xx before inbound traffic starts. */
  readonly appReadyPath: string | undefined;
  /** `--app-busy-path`: asked during a drain whether the app is still busy. */
  readonly appBusyPath: string | undefined;
  /** `--dapr-block-shutdown-duration`, 0 when off. */
  readonly blockShutdownMs: number;
  /** `--metrics-port`: where `GET /metrics` is served. */
  readonly metricsPort: number;
  /** `--enable-metrics` (default on). */
  readonly enableMetrics: boolean;
}

/** Raised for a flag value that cannot be used; names the flag. */
export class OptionsError extends Error {
  constructor(readonly flag: string, message: string) {
    super(`--${flag}: ${message}`);
    this.name = 'OptionsError';
  }
}

/** Default home of Outrigger's files: `$OUTRIGGER_HOME`, else `~/.outrigger`. */
export function outriggerHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.OUTRIGGER_HOME && env.OUTRIGGER_HOME !== '' ? env.OUTRIGGER_HOME : join(homedir(), '.outrigger');
}

type RawValue = string | number | boolean | readonly string[] | undefined;

/**
 * Turns parsed flag values (keyed by flag name, e.g. `app-id`) and the environment into SidecarOptions.
 * @throws OptionsError for a bad value or a flag that is refused until its feature exists.
 */
export function resolveSidecarOptions(raw: Readonly<Record<string, RawValue>>, env: NodeJS.ProcessEnv = process.env): SidecarOptions {
  const warnings: string[] = [];
  for (const flag of sidecarFlags) {
    if (flag.status === 'supported' || !isSet(valueOf(raw, flag))) continue;
    if (flag.status === 'refused') throw new OptionsError(flag.name, `not supported yet: ${flag.note}`);
    warnings.push(`flag --${flag.name} is not implemented yet and is ignored: ${flag.note}`);
  }
  const get = (name: string): RawValue => {
    const flag = sidecarFlags.find((candidate) => candidate.name === name);
    if (!flag) throw new Error(`unknown flag ${name}`);
    const value = valueOf(raw, flag);
    return isSet(value) ? value : flag.default;
  };
  const appProtocol = String(get('app-protocol')).toLowerCase();
  if (appProtocol !== 'http' && appProtocol !== 'grpc') throw new OptionsError('app-protocol', `"${appProtocol}" is not supported yet; use http or grpc`);
  const mode = String(get('mode'));
  if (mode !== 'standalone') throw new OptionsError('mode', `"${mode}" is not supported; use standalone`);
  const logLevel = String(get('log-level'));
  if (!['debug', 'info', 'warn', 'error', 'fatal'].includes(logLevel)) throw new OptionsError('log-level', `"${logLevel}" is not one of debug, info, warn, error, fatal`);
  const appPort = optionalPort(get('app-port'), 'app-port');
  const options: SidecarOptions = {
    appId: String(get('app-id') ?? ''),
    appPort: appPort === 0 ? undefined : appPort,
    appProtocol,
    appChannelAddress: String(get('app-channel-address')),
    appMaxConcurrency: integer(get('app-max-concurrency'), 'app-max-concurrency'),
    httpPort: port(get('dapr-http-port'), 'dapr-http-port'),
    grpcPort: port(get('dapr-grpc-port'), 'dapr-grpc-port'),
    internalPort: port(get('dapr-internal-grpc-port'), 'dapr-internal-grpc-port'),
    listenAddresses: String(get('dapr-listen-addresses') ?? '').split(',').map((address) => address.trim().replace(/^\[(.*)\]$/, '$1')).filter(Boolean),
    resourcesPaths: list(get('resources-path')),
    configPath: optionalString(get('config')),
    logLevel: logLevel as LogLevel,
    logAsJson: Boolean(get('log-as-json')),
    maxBodyBytes: maxBodyBytes(raw),
    enableApiLogging: get('enable-api-logging') === undefined ? undefined : get('enable-api-logging') !== false && get('enable-api-logging') !== 'false',
    gracefulShutdownMs: integer(get('dapr-graceful-shutdown-seconds'), 'dapr-graceful-shutdown-seconds') * 1000,
    namespace: env.NAMESPACE ?? '',
    apiToken: nonEmpty(env.DAPR_API_TOKEN),
    appApiToken: nonEmpty(env.APP_API_TOKEN),
    homeDir: outriggerHome(env),
    warnings,
    metricsPort: port(get('metrics-port'), 'metrics-port'),
    enableMetrics: get('enable-metrics') !== false && get('enable-metrics') !== 'false',
    appHealth: get('enable-app-health-check') ? {
      path: path(get('app-health-check-path'), 'app-health-check-path') ?? '/healthz',
      intervalMs: positive(get('app-health-probe-interval'), 'app-health-probe-interval') * 1000,
      timeoutMs: positive(get('app-health-probe-timeout'), 'app-health-probe-timeout'),
      threshold: positive(get('app-health-threshold'), 'app-health-threshold'),
    } : undefined,
    appReadyPath: path(get('app-ready-path'), 'app-ready-path'),
    appBusyPath: path(get('app-busy-path'), 'app-busy-path'),
    blockShutdownMs: durationMs(get('dapr-block-shutdown-duration'), 'dapr-block-shutdown-duration'),
  };
  // Both are probed with HTTP GET, which an app speaking gRPC does not answer.
  for (const [flag, value] of [['app-ready-path', options.appReadyPath], ['app-busy-path', options.appBusyPath]] as const) {
    if (value !== undefined && appProtocol === 'grpc') throw new OptionsError(flag, 'needs --app-protocol http (the path is probed with HTTP GET)');
  }
  return Object.freeze(options);
}

function valueOf(raw: Readonly<Record<string, RawValue>>, flag: FlagSpec): RawValue {
  for (const name of [flag.name, ...(flag.aliases ?? [])]) if (isSet(raw[name])) return raw[name];
  return undefined;
}

function isSet(value: RawValue): boolean {
  return value !== undefined && !(Array.isArray(value) && value.length === 0);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function optionalString(value: RawValue): string | undefined {
  return value === undefined || value === '' ? undefined : String(value);
}

function list(value: RawValue): string[] {
  if (value === undefined) return [];
  const items = Array.isArray(value) ? value : [String(value)];
  return items.flatMap((item) => String(item).split(',')).map((item) => item.trim()).filter(Boolean);
}

function integer(value: RawValue, flag: string): number {
  const text = String(value).trim();
  if (!/^-?\d+$/.test(text)) throw new OptionsError(flag, `"${text}" is not an integer`);
  return Number(text);
}

function positive(value: RawValue, flag: string): number {
  const number = integer(value, flag);
  if (number <= 0) throw new OptionsError(flag, `${number} must be positive`);
  return number;
}

/** An app path such as `/healthz`; a leading slash is added when missing. */
function path(value: RawValue, flag: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  const text = String(value).trim();
  if (/\s/.test(text)) throw new OptionsError(flag, `"${text}" is not a URL path`);
  return text.startsWith('/') ? text : `/${text}`;
}

function durationMs(value: RawValue, flag: string): number {
  if (value === undefined || value === '') return 0;
  try {
    return parseDuration(String(value));
  } catch {
    throw new OptionsError(flag, `"${String(value)}" is not a duration such as 30s`);
  }
}

function port(value: RawValue, flag: string): number {
  const number = integer(value, flag);
  if (number < 0 || number > 65535) throw new OptionsError(flag, `${number} is not a port number`);
  return number;
}

function optionalPort(value: RawValue, flag: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const number = integer(value, flag);
  // dapr run passes --app-port -1 or 0 for "no app"; accept both as daprd does.
  return number <= 0 ? undefined : port(number, flag);
}

const quantityUnits: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

/** `--max-body-size` (a Kubernetes quantity) wins over the older `--dapr-http-max-request-size` (MB). */
function maxBodyBytes(raw: Readonly<Record<string, RawValue>>): number {
  const quantity = raw['max-body-size'];
  if (isSet(quantity)) {
    const match = /^(\d+(?:\.\d+)?)(|k|M|G|Ki|Mi|Gi)$/.exec(String(quantity).trim());
    if (!match) throw new OptionsError('max-body-size', `"${String(quantity)}" is not a quantity such as 4Mi`);
    return Math.floor(Number(match[1]) * (quantityUnits[match[2] as string] ?? 1));
  }
  const megabytes = isSet(raw['dapr-http-max-request-size']) ? integer(raw['dapr-http-max-request-size'], 'dapr-http-max-request-size') : 4;
  if (megabytes <= 0) throw new OptionsError('dapr-http-max-request-size', 'must be positive');
  return megabytes * 1024 * 1024;
}
