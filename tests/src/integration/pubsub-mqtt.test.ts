// pubsub.mqtt3 and bindings.mqtt3 through `outrigger run` with the official SDK, on the shared
// mosquitto; the outage test runs a private mosquitto on a free port and kills it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { connectAsync } from 'mqtt';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { waitFor } from '@outrigger/kit';
import { BrokerApps, brokerScenarios, outageScenario, type BrokerUnderTest } from '../harness/broker-scenarios.js';
import { componentYaml, privateBrokerSkip, privateMosquitto, sharedBrokerSkip } from '../harness/brokers.js';
import { call } from '../harness/http.js';
import { freePort, testAppsDir, writeFile } from '../harness/processes.js';
import { startRun, tempDir } from '../harness/sidecars.js';

const SHARED_URL = 'tcp://127.0.0.1:1883';
const skip = await sharedBrokerSkip('mosquitto', 1883);
const run = randomUUID().slice(0, 8);
/** Client ids (the subscribers' app ids) that got persistent sessions; discarded at the end. */
const clientIds = new Set([`ledger-${run}`, `workers-${run}-0`, `workers-${run}-1`, `fan-0-${run}`, `fan-1-${run}`]);

/** Ends the persistent sessions the tests left on the shared broker. */
async function discardSessions(): Promise<void> {
  for (const clientId of clientIds) {
    const client = await connectAsync(SHARED_URL.replace('tcp:', 'mqtt:'), { clientId, clean: true, reconnectPeriod: 0 }).catch(() => undefined);
    await client?.endAsync().catch(() => undefined);
  }
}

const broker: BrokerUnderTest = {
  // A subscriber keeps one fixed client id across restarts, so its persistent session (cleanSession
  // false, QoS 1) holds what arrives while its sidecar is down; publishers get a fresh id each.
  pubsubYaml: (role, url = SHARED_URL) => {
    const consumerID = role === 'subscriber' ? '{appID}' : '{uuid}';
    return componentYaml('pubsub', 'pubsub.mqtt3', { url, consumerID, qos: '1', cleanSession: 'false' });
  },
  topic: async (label) => `outrigger-it/${run}/${label}`,
  groupTopic: (topic, group) => `$share/${group}/${topic}`,
  groupMembersShareAppId: false,
};

describe('pubsub.mqtt3 with the SDK', { skip }, () => {
  const dir = tempDir();
  const apps = new BrokerApps(dir.path, broker);
  after(async () => {
    await apps.stopAll();
    await discardSessions();
    dir.cleanup();
  });
  brokerScenarios(broker, () => apps, () => dir.path, run);

  it('bindings.mqtt3: DaprClient sends with create, a DaprServer app receives it from the topic', { timeout: 60_000 }, async () => {
    const resources = join(dir.path, 'binding-resources');
    writeFile(join(resources, 'binding.yaml'), componentYaml('mybinding', 'bindings.mqtt3', { url: SHARED_URL, topic: `outrigger-it/${run}/binding`, consumerID: `binding-${run}` }));
    for (const suffix of ['consumer', 'producer']) clientIds.add(`binding-${run}-${suffix}`);
    const sidecar = await startRun({
      appId: `binding-${run}`, resourcesPath: resources, home: apps.home, appPort: await freePort(), waitForApp: true,
      appCommand: [process.execPath, join(testAppsDir, 'binding-receiver.mjs')], env: { BINDING: 'mybinding' },
    });
    try {
      const client = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(sidecar.httpPort), communicationProtocol: CommunicationProtocolEnum.HTTP, logger: { level: LogLevel.Error } });
      for (const n of [1, 2, 3]) await client.binding.send('mybinding', 'create', { reading: n });
      const received = await waitFor('the three events in the app', async () => {
        const got = (await call('GET', `${sidecar.baseUrl}/v1.0/invoke/binding-${run}/method/received`)).json() as unknown[];
        return got.length === 3 ? got : undefined;
      }, 30_000, 100);
      assert.deepEqual(received, [{ reading: 1 }, { reading: 2 }, { reading: 3 }]);
    } finally {
      await sidecar.stop();
    }
  });
});

describe('pubsub.mqtt3 outage (private mosquitto)', { skip: skip ?? privateBrokerSkip('mosquitto') }, () => {
  const dir = tempDir();
  const apps = new BrokerApps(dir.path, broker);
  let mosquitto: Awaited<ReturnType<typeof privateMosquitto>> | undefined;
  after(async () => {
    await apps.stopAll();
    await mosquitto?.stop();
    dir.cleanup();
  });

  it('fails publishes while the broker is down, recovers without restarting the sidecars', { timeout: 180_000 }, async (t) => {
    const broker = await privateMosquitto(join(dir.path, 'mosquitto'));
    mosquitto = broker;
    await broker.start();
    await outageScenario({
      apps, url: `tcp://127.0.0.1:${broker.port}`, topic: `outrigger-it/${run}/outage`, dir: dir.path, run,
      stopBroker: () => broker.stop(),
      startBroker: () => broker.start(),
      diagnostic: (text) => t.diagnostic(text),
    });
  });
});
