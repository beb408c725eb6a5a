// Pub/sub with the official SDK across two `outrigger run` processes sharing the embedded broker:
// DaprClient publish and bulk publish on one side, DaprServer subscriptions (single and bulk) on the other.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { waitFor } from '@outrigger/kit';
import { call } from '../harness/http.js';
import { freePort, testAppsDir } from '../harness/processes.js';
import { sqlitePubSubYaml, startRun, tempDir, writeStateComponents, type SidecarHandle } from '../harness/sidecars.js';

describe('pub/sub through the official SDK (HTTP)', () => {
  const dir = tempDir();
  const home = join(dir.path, 'home');
  let publisher: SidecarHandle;
  let subscriber: SidecarHandle;
  let client: DaprClient;
  let appPort: number;

  const receivedIds = async (topic: string): Promise<string[]> => {
    const items = (await call('GET', `http://127.0.0.1:${appPort}/received`)).json() as { topic: string; data: { id: string } }[];
    return items.filter((item) => item.topic === topic).map((item) => item.data.id);
  };

  before(async () => {
    const resources = writeStateComponents(dir.path, sqlitePubSubYaml(join(dir.path, 'broker.db'), 'pubsub', '  - name: pollInterval\n    value: 20ms\n'));
    appPort = await freePort();
    [publisher, subscriber] = await Promise.all([
      startRun({ appId: 'sdk-pub', resourcesPath: resources, home }),
      startRun({ appId: 'sdk-sub', resourcesPath: resources, home, appPort, waitForApp: true, appCommand: [process.execPath, join(testAppsDir, 'sdk-subscriber.mjs')], env: { TOPICS: 'orders', BULK_TOPIC: 'bulk-orders' } }),
    ]);
    client = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(publisher.httpPort), communicationProtocol: CommunicationProtocolEnum.HTTP, logger: { level: LogLevel.Error } });
  });

  after(async () => {
    await Promise.all([publisher?.stop(), subscriber?.stop()]);
    dir.cleanup();
  });

  it('delivers a published message to a DaprServer subscriber in another process', async () => {
    const result = await client.pubsub.publish('pubsub', 'orders', { id: 'order-1', total: 12 });
    assert.equal(result.error, undefined);
    await waitFor('the order to arrive', async () => (await receivedIds('orders')).includes('order-1'), 10_000);
  });

  it('bulk-publishes, and a bulk subscriber receives every entry', async () => {
    const messages = Array.from({ length: 25 }, (_, index) => ({ id: `bulk-${index}` }));
    const response = await client.pubsub.publishBulk('pubsub', 'bulk-orders', messages);
    assert.deepEqual(response.failedMessages, []);
    await waitFor('every bulk entry', async () => new Set(await receivedIds('bulk-orders')).size === 25, 15_000);
  });

  it('lists the SDK app\'s subscriptions in its sidecar\'s metadata', async () => {
    const metadata = (await call('GET', `${subscriber.baseUrl}/v1.0/metadata`)).json() as { subscriptions: { topic: string; type: string }[] };
    assert.deepEqual(metadata.subscriptions.map((subscription) => subscription.topic).sort(), ['bulk-orders', 'orders']);
  });
});
