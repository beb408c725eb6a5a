// pubsub.rabbitmq and bindings.rabbitmq through `outrigger run` with the official SDK, on the shared
// RabbitMQ; the outage test runs a private RabbitMQ node on free ports and kills it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { connect } from 'amqplib';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { waitFor } from '@outrigger/kit';
import { BrokerApps, brokerScenarios, outageScenario, type BrokerUnderTest } from '../harness/broker-scenarios.js';
import { RABBITMQ_SERVER, componentYaml, privateBrokerSkip, privateRabbitMq, sharedBrokerSkip } from '../harness/brokers.js';
import { call } from '../harness/http.js';
import { freePort, testAppsDir, writeFile } from '../harness/processes.js';
import { startRun, tempDir } from '../harness/sidecars.js';

const SHARED_URL = 'amqp://guest:guest@127.0.0.1:5672';
const skip = await sharedBrokerSkip('RabbitMQ', 5672);
const run = randomUUID().slice(0, 8);
const topics = new Set<string>();

/** Deletes the exchanges (one per topic) and the queues of the consumer groups these tests made. */
async function cleanUp(): Promise<void> {
  if (skip) return;
  const model = await connect(SHARED_URL);
  const prefixes = [`ledger-${run}`, `workers-${run}`, `fan-0-${run}`, `fan-1-${run}`, `pub-storm-${run}`, `pub-compete-${run}`, `pub-fanout-${run}`];
  for (const topic of topics) {
    for (const name of [...prefixes.map((prefix) => `${prefix}-${topic}`), topic]) {
      const channel = await model.createChannel();
      channel.on('error', () => undefined);
      await channel.deleteQueue(name).catch(() => undefined);
      await channel.deleteExchange(name).catch(() => undefined);
      await channel.close().catch(() => undefined);
    }
  }
  await model.close();
}

const broker: BrokerUnderTest = {
  pubsubYaml: (_role, url = SHARED_URL) => componentYaml('pubsub', 'pubsub.rabbitmq', {
    connectionString: url, durable: 'true', deletedWhenUnused: 'false', deliveryMode: '2', reconnectWaitSeconds: '1s',
  }),
  topic: async (label) => {
    const name = `outrigger-it-${run}-${label}`;
    topics.add(name);
    return name;
  },
  groupTopic: (topic) => topic,
  groupMembersShareAppId: true,
};

describe('pubsub.rabbitmq with the SDK', { skip }, () => {
  const dir = tempDir();
  const apps = new BrokerApps(dir.path, broker);
  after(async () => {
    await apps.stopAll();
    await cleanUp();
    dir.cleanup();
  });
  brokerScenarios(broker, () => apps, () => dir.path, run);

  it('bindings.rabbitmq: DaprClient sends with create, a DaprServer app receives it from the queue', { timeout: 60_000 }, async () => {
    const queue = `outrigger-it-${run}-binding`;
    const resources = join(dir.path, 'binding-resources');
    writeFile(join(resources, 'binding.yaml'), componentYaml('mybinding', 'bindings.rabbitmq', { host: SHARED_URL, queueName: queue, deleteWhenUnused: 'true' }));
    const sidecar = await startRun({
      appId: `binding-${run}`, resourcesPath: resources, home: apps.home, appPort: await freePort(), waitForApp: true,
      appCommand: [process.execPath, join(testAppsDir, 'binding-receiver.mjs')], env: { BINDING: 'mybinding' },
    });
    try {
      const client = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(sidecar.httpPort), communicationProtocol: CommunicationProtocolEnum.HTTP, logger: { level: LogLevel.Error } });
      for (const n of [1, 2, 3]) await client.binding.send('mybinding', 'create', { order: n }, { 'x-origin': 'sdk' });
      await waitFor('the three events in the app', async () => {
        const received = (await call('GET', `${sidecar.baseUrl}/v1.0/invoke/binding-${run}/method/received`)).json() as unknown[];
        return received.length === 3 ? received : undefined;
      }, 30_000, 100).then((received) => assert.deepEqual(received, [{ order: 1 }, { order: 2 }, { order: 3 }]));
      const refused = await client.binding.send('mybinding', 'delete', {}).then(() => 'accepted', (error: Error) => error.message);
      assert.notEqual(refused, 'accepted', 'operations other than create are refused');
    } finally {
      await sidecar.stop();
    }
  });
});

describe('pubsub.rabbitmq outage (private RabbitMQ node)', { skip: skip ?? privateBrokerSkip(RABBITMQ_SERVER) }, () => {
  const dir = tempDir();
  const apps = new BrokerApps(dir.path, broker);
  after(async () => {
    await apps.stopAll();
    await rabbit?.stop();
    dir.cleanup();
  });
  let rabbit: Awaited<ReturnType<typeof privateRabbitMq>> | undefined;

  it('fails publishes while the broker is down, recovers without restarting the sidecars', { timeout: 240_000 }, async (t) => {
    rabbit = await privateRabbitMq(join(dir.path, 'rabbit'));
    await rabbit.start(60_000);
    const url = `amqp://guest:guest@127.0.0.1:${rabbit.port}`;
    const node = rabbit;
    await outageScenario({
      apps, url, topic: await broker.topic('outage'), dir: dir.path, run,
      stopBroker: () => node.stop(),
      startBroker: () => node.start(60_000),
      diagnostic: (text) => t.diagnostic(text),
    });
  });
});
