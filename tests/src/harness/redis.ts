import { connect } from 'node:net';
import { serviceUnavailable } from '@outrigger/components-api/testing';
import { waitFor } from '@outrigger/kit';
import { componentYaml } from './component-yaml.js';
import { Spawned } from './processes.js';

/** The shared Redis of the machine: OUTRIGGER_TEST_REDIS (`host:port`), default 127.0.0.1:6379. */
export const sharedRedis = process.env.OUTRIGGER_TEST_REDIS ?? '127.0.0.1:6379';

/**
 * Sends one command with RESP and resolves the raw reply text (enough for PING, DEL and status checks;
 * the tests need no client library for that). Rejects on connection errors or after `timeoutMs`.
 */
export function redisCommand(address: string, args: readonly string[], timeoutMs = 2000): Promise<string> {
  const [host = '127.0.0.1', port = '6379'] = address.split(':');
  const payload = `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port) });
    let reply = '';
    const timer = setTimeout(() => socket.destroy(new Error(`no answer from redis at ${address}`)), timeoutMs);
    socket.on('connect', () => socket.write(payload));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.endsWith('\r\n')) {
        clearTimeout(timer);
        socket.end();
        resolve(reply);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/**
 * Why tests on the shared Redis cannot run, or undefined when it answers PING. With CI=true an
 * unreachable server is an error, not a reason to skip.
 */
export function sharedRedisUnavailable(): Promise<string | undefined> {
  return serviceUnavailable(`Redis at ${sharedRedis} is unreachable`, async () => {
    if (!(await redisCommand(sharedRedis, ['PING'])).startsWith('+PONG')) throw new Error('no PONG');
  });
}

/** Component YAML for a Redis component (`state.redis`, `pubsub.redis`, ...) on `address`. */
export function redisComponentYaml(name: string, type: string, address: string, metadata: Record<string, string> = {}): string {
  return componentYaml(name, type, { redisHost: address, ...metadata });
}

/**
 * A private redis-server on `port` with its data in `dir`: append-only file fsynced on every write, so
 * whatever it acknowledged survives a SIGKILL and a restart on the same dir. Never the shared server.
 */
export async function startPrivateRedis(port: number, dir: string): Promise<Spawned> {
  const server = new Spawned('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes',
    '--appendfsync', 'always', '--dir', dir, '--protected-mode', 'no']);
  await waitFor(`redis-server on port ${port}`, async () => {
    if (!server.running) throw new Error(`redis-server exited:\n${server.output}`);
    return (await redisCommand(`127.0.0.1:${port}`, ['PING']).catch(() => '')).startsWith('+PONG');
  }, 15_000, 50);
  return server;
}
