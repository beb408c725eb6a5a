// Starting Outrigger sidecars for the benchmark: `outrigger sidecar` (the daprd equivalent, one process)
// on free loopback ports, sharing one OUTRIGGER_HOME so they find each other by app id.
import { join } from 'node:path';
import { SIDECAR_NODE_FLAGS } from '../../apps/cli/dist/commands/sidecar-node-flags.js';
import { Child, cliBin, freePort, waitForStatus, waitListening, writeFile } from './processes.mjs';

/**
 * Starts a sidecar and waits for `/v1.0/healthz/outbound` (or `/v1.0/healthz` with `waitForApp`).
 * `cli` is the bin to run (another checkout's, for a before/after). The sidecar gets the node flags `outrigger run` and the bin give it; `nodeArgs` go after them (e.g. --cpu-prof); `prefix` runs it under another command (valgrind). Returns ports, the child and its launch-to-ready time.
 */
export async function startSidecar({ appId, home, resourcesPath, appPort, nodeArgs = [], extraFlags = [], waitForApp = false, env = {}, pollMs = 20, cli = cliBin, prefix, readyTimeoutMs = 60_000 }) {
  for (let attempt = 1; ; attempt++) {
    const [httpPort, grpcPort, internalPort, metricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const args = [...SIDECAR_NODE_FLAGS, ...nodeArgs, cli, 'sidecar', '--app-id', appId, '--dapr-http-port', String(httpPort), '--dapr-grpc-port', String(grpcPort),
      '--dapr-internal-grpc-port', String(internalPort), '--metrics-port', String(metricsPort), '--dapr-listen-addresses', '127.0.0.1', '--log-level', 'warn',
      ...(resourcesPath ? ['--resources-path', resourcesPath] : []), ...(appPort ? ['--app-port', String(appPort)] : []), ...extraFlags];
    const child = new Child(process.execPath, args, { name: `sidecar ${appId}`, env: { ...process.env, OUTRIGGER_HOME: home, ...env }, prefix });
    const baseUrl = `http://127.0.0.1:${httpPort}`;
    try {
      await waitForStatus(`${baseUrl}/v1.0/healthz${waitForApp ? '' : '/outbound'}`, 204, child, readyTimeoutMs, pollMs);
    } catch (error) {
      await child.stop();
      if (attempt < 3 && /EADDRINUSE/.test(child.output)) continue;
      throw error;
    }
    const readyMs = Number(process.hrtime.bigint() - child.startedAt) / 1e6;
    return { appId, httpPort, grpcPort, internalPort, baseUrl, child, readyMs, stop: (graceMs) => child.stop(graceMs) };
  }
}

/** Starts a node app from bench/apps on a free port and waits until it accepts connections. */
export async function startApp(file, { env = {}, port } = {}) {
  const appPort = port ?? await freePort();
  const child = new Child(process.execPath, [file, String(appPort)], { name: file, env: { ...process.env, ...env } });
  await waitListening([child], 20_000);
  return { port: appPort, child, stop: () => child.stop() };
}

/** Component YAML of the stores and brokers the scenarios use, written under `dir`/resources. */
export function writeComponents(dir, { redis = true, rabbitmq = true, mqtt = false } = {}) {
  const resources = join(dir, 'resources');
  const component = (name, type, metadata) => `---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: ${type}
  version: v1
  metadata:
${Object.entries(metadata).map(([key, value]) => `  - name: ${key}\n    value: "${value}"`).join('\n')}
`;
  const yaml = [
    component('sqlitestore', 'state.sqlite', { connectionString: join(dir, 'state.db') }),
    component('embeddedpubsub', 'pubsub.sqlite', { connectionString: join(dir, 'pubsub.db') }),
    ...(redis ? [
      component('redisstore', 'state.redis', { redisHost: '127.0.0.1:6379' }),
      component('redispubsub', 'pubsub.redis', { redisHost: '127.0.0.1:6379' }),
    ] : []),
    ...(rabbitmq ? [component('rabbitpubsub', 'pubsub.rabbitmq', { connectionString: 'amqp://guest:guest@127.0.0.1:5672' })] : []),
    ...(mqtt ? [component('mqttpubsub', 'pubsub.mqtt3', { url: 'tcp://127.0.0.1:1883', consumerID: `bench-${process.pid}` })] : []),
  ];
  writeFile(join(resources, 'components.yaml'), yaml.join(''));
  return resources;
}
