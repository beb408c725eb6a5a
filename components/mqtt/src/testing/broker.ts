import { createConnection } from 'node:net';
import { connectAsync } from 'mqtt';
import type { ComponentContext } from '@outrigger/components-api';
import { createLogger } from '@outrigger/kit';

/** The shared test broker (see the working rules); tests use their own topics and client ids. */
export const BROKER_URL = process.env.OUTRIGGER_TEST_MQTT_URL ?? 'tcp://127.0.0.1:1883';

const logger = createLogger({ scope: 'test', level: 'silent' });

/** A component context with a silent logger. */
export function testContext(metadata: Record<string, string>, appId = 'test-app'): ComponentContext {
  return { name: 'test-mqtt', metadata, appId, namespace: 'default', logger };
}

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 1883) });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Why the broker tests do not run, or undefined when they do (always with CI=true). */
export async function skipReason(): Promise<string | undefined> {
  if (process.env.CI === 'true' || (await reachable(BROKER_URL))) return undefined;
  return `no MQTT broker is reachable at ${new URL(BROKER_URL).host} (start mosquitto, or set OUTRIGGER_TEST_MQTT_URL)`;
}

/**
 * Ends the persistent sessions of the given client ids (connecting once with a clean session
 * discards what the broker kept), so test runs leave nothing behind on the shared broker.
 */
export async function discardSessions(clientIds: Iterable<string>, url = BROKER_URL): Promise<void> {
  const brokerUrl = url.replace(/^tcp:/, 'mqtt:');
  for (const clientId of clientIds) {
    const client = await connectAsync(brokerUrl, { clientId, clean: true, reconnectPeriod: 0 }).catch(() => undefined);
    await client?.endAsync().catch(() => undefined);
  }
}
