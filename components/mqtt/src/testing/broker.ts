import { connectAsync } from 'mqtt';
import type { ComponentContext } from '@outrigger/components-api';
import { serviceUnavailable, silentTestContext, tcpConnect } from '@outrigger/components-api/testing';

/** The shared test broker (see the working rules); tests use their own topics and client ids. */
export const BROKER_URL = process.env.OUTRIGGER_TEST_MQTT_URL ?? 'tcp://127.0.0.1:1883';

/** A component context with a silent logger. */
export function testContext(metadata: Record<string, string>, appId = 'test-app'): ComponentContext {
  return silentTestContext('test-mqtt', metadata, appId);
}

/** Why the broker tests do not run, or undefined when they do (under CI=true an unreachable broker fails the run). */
export function skipReason(): Promise<string | undefined> {
  return serviceUnavailable(`no MQTT broker is reachable at ${new URL(BROKER_URL).host} (start mosquitto, or set OUTRIGGER_TEST_MQTT_URL)`, () => tcpConnect(BROKER_URL, 1883));
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
