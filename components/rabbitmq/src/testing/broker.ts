import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import type { ComponentContext } from '@outrigger/components-api';
import { serviceUnavailable, silentTestContext, tcpConnect } from '@outrigger/components-api/testing';

/** The shared test broker (see the working rules); tests make their own exchanges and queues and remove them. */
export const BROKER_URL = process.env.OUTRIGGER_TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A component context with a silent logger. */
export function testContext(metadata: Record<string, string>, appId = 'test-app'): ComponentContext {
  return silentTestContext('test-rabbitmq', metadata, appId);
}

/** True when something accepts TCP connections at the broker's address. */
export function reachable(url = BROKER_URL): Promise<boolean> {
  return tcpConnect(url, 5672).then(() => true, () => false);
}

/** Why the broker tests do not run, or undefined when they do (under CI=true an unreachable broker fails the run). */
export function skipReason(): Promise<string | undefined> {
  return serviceUnavailable(`RabbitMQ is not reachable at ${new URL(BROKER_URL).host} (start it, or set OUTRIGGER_TEST_RABBITMQ_URL)`, () => tcpConnect(BROKER_URL, 5672));
}

/** Deletes queues and exchanges a test declared; missing ones are ignored. */
export async function removeTopology(queues: Iterable<string>, exchanges: Iterable<string>): Promise<void> {
  const model = await connect(BROKER_URL);
  try {
    for (const queue of queues) {
      const channel = await model.createChannel();
      await channel.deleteQueue(queue).catch(() => undefined);
      await channel.close().catch(() => undefined);
    }
    for (const exchange of exchanges) {
      const channel = await model.createChannel();
      await channel.deleteExchange(exchange).catch(() => undefined);
      await channel.close().catch(() => undefined);
    }
  } finally {
    await model.close();
  }
}

/** Message count of a queue, or undefined when it does not exist. */
export async function queueDepth(queue: string): Promise<number | undefined> {
  const model = await connect(BROKER_URL);
  try {
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    const reply = await channel.checkQueue(queue).catch(() => undefined);
    return reply?.messageCount;
  } finally {
    await model.close().catch(() => undefined);
  }
}

const run = promisify(execFile);

/**
 * Closes, from the broker's side, the connections whose client-provided name is `clientName`
 * (other tests' connections are left alone). Needs `rabbitmqctl` on the test machine.
 * @returns how many connections were closed.
 */
export async function closeConnectionsNamed(clientName: string): Promise<number> {
  const { stdout } = await run('rabbitmqctl', ['list_connections', '--no-table-headers', '--silent', 'pid', 'client_properties']);
  const marker = `{"connection_name","${clientName}"}`;
  const pids = stdout.split('\n').filter((line) => line.includes(marker)).map((line) => line.split('\t')[0]?.trim() ?? '');
  for (const pid of pids) await run('rabbitmqctl', ['close_connection', pid, 'closed by an Outrigger test']);
  return pids.length;
}
