/**
 * Every flag of `outrigger sidecar`, with daprd's names, in one table. The CLI builds its
 * parser and `--help` from it, and docs are generated from it, so nothing reads raw flags elsewhere.
 */
export interface FlagSpec {
  /** Long name without dashes, as daprd spells it. */
  readonly name: string;
  readonly description: string;
  readonly kind: 'string' | 'integer' | 'boolean' | 'list';
  readonly default?: string | number | boolean;
  /** Other names accepted for the same flag. */
  readonly aliases?: readonly string[];
  /**
   * `supported`: implemented. `ignored`: accepted for daprd compatibility, with a warning naming it.
   * `refused`: setting it is an error until the feature exists.
   */
  readonly status: 'supported' | 'ignored' | 'refused';
  /** Why a flag is not supported yet, shown in the warning or error. */
  readonly note?: string;
}

const supported = (name: string, kind: FlagSpec['kind'], description: string, extra: Partial<FlagSpec> = {}): FlagSpec =>
  ({ name, kind, description, status: 'supported', ...extra });
const later = (name: string, kind: FlagSpec['kind'], status: 'ignored' | 'refused', note: string): FlagSpec =>
  ({ name, kind, description: `not implemented yet: ${note}`, status, note });

export const sidecarFlags: readonly FlagSpec[] = [
  supported('app-id', 'string', 'A unique id for the application; used for invocation, state key prefixes and pub/sub consumer groups'),
  supported('app-port', 'integer', 'The port the application listens on; without it the sidecar runs with no app channel'),
  supported('app-protocol', 'string', 'Protocol of the app channel: http or grpc (https, grpcs, h2c come later)', { default: 'http' }),
  supported('app-channel-address', 'string', 'The network address the application listens on', { default: '127.0.0.1' }),
  supported('app-max-concurrency', 'integer', 'Largest number of concurrent calls into the app; -1 for no limit', { default: -1 }),
  supported('dapr-http-port', 'integer', 'HTTP port of the Dapr API', { default: 3500 }),
  supported('dapr-grpc-port', 'integer', 'gRPC port of the Dapr API (h2c; grpc-js and Connect clients); 0 picks a free port', { default: 50001 }),
  supported('dapr-internal-grpc-port', 'integer', 'Port for sidecar-to-sidecar calls; 0 picks a free port', { default: 0 }),
  supported('dapr-listen-addresses', 'string', 'Comma-separated addresses the API servers listen on; empty for all interfaces', { default: '' }),
  supported('resources-path', 'list', 'Folder of Dapr resource YAML (components, configuration, ...); repeatable', { aliases: ['components-path'] }),
  supported('config', 'string', 'Path to a Configuration YAML file'),
  supported('log-level', 'string', 'Log level: debug, info, warn, error, fatal', { default: 'info' }),
  supported('log-as-json', 'boolean', 'Write logs as JSON with Dapr\'s field names', { default: false }),
  supported('dapr-http-max-request-size', 'integer', 'Largest request body in MB', { default: 4 }),
  supported('max-body-size', 'string', 'Largest request body as a quantity (4Mi, 512Ki); wins over dapr-http-max-request-size'),
  supported('enable-api-logging', 'boolean', 'Log every API call; when not given, the Configuration\'s spec.logging.apiLogging.enabled decides'),
  supported('dapr-graceful-shutdown-seconds', 'integer', 'Seconds to wait for in-flight work on shutdown', { default: 5 }),
  supported('mode', 'string', 'Runtime mode; only standalone is supported', { default: 'standalone' }),
  supported('enable-app-health-check', 'boolean', 'Probe the app\'s health; when it turns unhealthy, inbound work pauses until it recovers', { default: false }),
  supported('app-health-check-path', 'string', 'Path probed with GET for app health (HTTP apps)', { default: '/healthz' }),
  supported('app-health-probe-interval', 'integer', 'Seconds between app health probes', { default: 5 }),
  supported('app-health-probe-timeout', 'integer', 'Milliseconds one app health probe may take', { default: 500 }),
  supported('app-health-threshold', 'integer', 'Failed probes in a row that make the app unhealthy', { default: 3 }),
  supported('app-ready-path', 'string', 'Path that must answer 2xx to GET before any inbound traffic reaches the app (like DAPS\'s daps.io/ready-path)'),
  supported('app-busy-path', 'string', 'Path the drain polls with GET on shutdown; the app answers {"busy": true|false} (like DAPS\'s daps.io/busy-path)'),
  supported('dapr-block-shutdown-duration', 'string', 'On SIGTERM, keep serving for up to this Go duration (or until the app turns unhealthy) before draining'),
  supported('metrics-port', 'integer', 'Port of the Prometheus endpoint (GET /metrics); a port in use is logged and metrics are left off', { default: 9090 }),
  supported('enable-metrics', 'boolean', 'Serve Prometheus metrics', { default: true }),
  later('placement-host-address', 'string', 'ignored', 'actors are not implemented'),
  later('scheduler-host-address', 'string', 'ignored', 'jobs and reminders are not implemented'),
  later('dapr-public-port', 'integer', 'refused', 'the public health port is not implemented'),
  later('unix-domain-socket', 'string', 'refused', 'Unix domain sockets are not implemented'),
  later('enable-mtls', 'boolean', 'refused', 'mTLS is not implemented'),
  later('sentry-address', 'string', 'ignored', 'mTLS is not implemented'),
  later('enable-profiling', 'boolean', 'ignored', 'profiling is not implemented'),
  later('profile-port', 'integer', 'ignored', 'profiling is not implemented'),
  later('read-buffer-size', 'string', 'ignored', 'Node sizes its header buffer itself'),
  later('dapr-http-read-buffer-size', 'integer', 'ignored', 'Node sizes its header buffer itself'),
  later('app-ssl', 'boolean', 'refused', 'TLS to the app is not implemented'),
];
