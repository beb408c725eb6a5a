// Message brokers for integration tests: reachability of the shared ones, component YAML, and
// private brokers (mosquitto, nats-server, rabbitmq-server) on free ports with temp data, for
// outage tests. Private brokers are spawned in their own process group and killed by its id.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { serviceUnavailable, tcpConnect } from '@outrigger/components-api/testing';
import { waitFor } from '@outrigger/kit';
import { freePort } from './processes.js';

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
export function portOpen(port: number): Promise<boolean> {
  return tcpConnect(`tcp://127.0.0.1:${port}`, port).then(() => true, () => false);
}

/** Why tests on a shared broker cannot run, or undefined; with CI=true an unreachable broker fails the run. */
export function sharedBrokerSkip(name: string, port: number): Promise<string | undefined> {
  return serviceUnavailable(`${name} is not reachable on 127.0.0.1:${port}`, () => tcpConnect(`tcp://127.0.0.1:${port}`, port));
}

/** The path of the rabbitmq-server script the private node runs (it keeps the node in our process group). */
export const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

/**
 * Why an outage test cannot start its private broker (the program is not installed), or undefined;
 * with CI=true it always runs, so a missing program fails the build.
 */
export function privateBrokerSkip(program: string): string | undefined {
  if (process.env.CI === 'true') return undefined;
  const candidates = program.includes('/') ? [program] : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, program));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return undefined;
    } catch {
      // Not here.
    }
  }
  return `${program} is not installed, so no private broker can be started`;
}

export { componentYaml } from './component-yaml.js';

/** A broker process this test started; `stop` and `start` keep its port and data. */
export class PrivateBroker {
  private child: ChildProcess | undefined;
  output = '';

  constructor(readonly label: string, readonly port: number, private readonly command: string, private readonly args: readonly string[], private readonly env: NodeJS.ProcessEnv = {}) {}

  /** Starts the process and waits until its port accepts connections. */
  async start(timeoutMs = 30_000): Promise<void> {
    const child = spawn(this.command, [...this.args], { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => { this.output += chunk.toString(); });
    child.stderr?.on('data', (chunk: Buffer) => { this.output += chunk.toString(); });
    await waitFor(`${this.label} on port ${this.port}`, async () => {
      if (child.exitCode !== null) throw new Error(`${this.label} exited with ${child.exitCode}:\n${this.output}`);
      return portOpen(this.port);
    }, timeoutMs, 100);
  }

  /** Kills the whole process group (SIGKILL: an abrupt outage) and waits until the port is closed. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    this.child = undefined;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
    await waitFor(`${this.label} to stop`, async () => !(await portOpen(this.port)), 15_000, 50);
  }
}

/** A private mosquitto with persistence in `dir` (it keeps sessions and queued messages across restarts). */
export async function privateMosquitto(dir: string): Promise<PrivateBroker> {
  const port = await freePort();
  mkdirSync(join(dir, 'data'), { recursive: true });
  const config = join(dir, 'mosquitto.conf');
  // autosave_interval 1 with on_change: the state is written to disk as it changes, so a SIGKILL loses (almost) nothing.
  writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location ${join(dir, 'data')}/\nautosave_on_changes true\nautosave_interval 1\nmax_queued_messages 0\n`);
  return new PrivateBroker('mosquitto', port, 'mosquitto', ['-c', config]);
}

/** A private nats-server with JetStream storing in `dir`. */
export async function privateNats(dir: string): Promise<PrivateBroker> {
  const port = await freePort();
  return new PrivateBroker('nats-server', port, 'nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir]);
}

/**
 * A private RabbitMQ node (its own node name, ports, Mnesia and log dirs in `dir`, no plugins), run
 * from the server's own script so it stays in this process group. Takes several seconds to boot.
 */
export async function privateRabbitMq(dir: string): Promise<PrivateBroker> {
  const port = await freePort();
  const distPort = await freePort();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(join(dir, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${port}\nloopback_users = none\n`);
  return new PrivateBroker('rabbitmq-server', port, RABBITMQ_SERVER, [], {
    RABBITMQ_NODENAME: `outrigger-test-${port}@localhost`,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
  });
}
