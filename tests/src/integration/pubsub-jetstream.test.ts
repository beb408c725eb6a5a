// pubsub.jetstream through `outrigger run` with the official SDK, on the shared NATS server (a stream
// made for the run); the outage test runs a private nats-server -js on a free port and kills it.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { BrokerApps, brokerScenarios, outageScenario, type BrokerUnderTest } from '../harness/broker-scenarios.js';
import { componentYaml, privateBrokerSkip, privateNats, sharedBrokerSkip } from '../harness/brokers.js';
import { tempDir } from '../harness/sidecars.js';

const SHARED_URL = 'nats://127.0.0.1:4222';
const skip = await sharedBrokerSkip('NATS', 4222);
const run = randomUUID().slice(0, 8);
const stream = `outrigger-it-${run}`;

/** Makes (or with `remove`, deletes) the run's stream, capturing every subject under `<stream>.`. */
async function manageStream(url: string, remove = false): Promise<void> {
  const connection = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(connection);
    if (remove) await jsm.streams.delete(stream).catch(() => undefined);
    else await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
  } finally {
    await connection.close();
  }
}

const broker: BrokerUnderTest = {
  // One durable consumer per app id: sidecars of one app share it, other apps get their own.
  pubsubYaml: (_role, url = SHARED_URL) => componentYaml('pubsub', 'pubsub.jetstream', { natsURL: url, streamName: stream, durableName: '{appID}' }),
  topic: async (label) => `${stream}.${label}`,
  groupTopic: (topic) => topic,
  groupMembersShareAppId: true,
};

describe('pubsub.jetstream with the SDK', { skip }, () => {
  const dir = tempDir();
  const apps = new BrokerApps(dir.path, broker);
  before(() => manageStream(SHARED_URL));
  after(async () => {
    await apps.stopAll();
    await manageStream(SHARED_URL, true);
    dir.cleanup();
  });
  brokerScenarios(broker, () => apps, () => dir.path, run);
});

describe('pubsub.jetstream outage (private nats-server)', { skip: skip ?? privateBrokerSkip('nats-server') }, () => {
  const dir = tempDir();
  const apps = new BrokerApps(dir.path, broker);
  let nats: Awaited<ReturnType<typeof privateNats>> | undefined;
  after(async () => {
    await apps.stopAll();
    await nats?.stop();
    dir.cleanup();
  });

  it('fails publishes while the server is down, recovers without restarting the sidecars', { timeout: 180_000 }, async (t) => {
    const server = await privateNats(join(dir.path, 'jetstream'));
    nats = server;
    await server.start();
    const url = `nats://127.0.0.1:${server.port}`;
    await manageStream(url);
    await outageScenario({
      apps, url, topic: `${stream}.outage`, dir: dir.path, run,
      stopBroker: () => server.stop(),
      startBroker: () => server.start(),
      diagnostic: (text) => t.diagnostic(text),
    });
  });
});
