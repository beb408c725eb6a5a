// Resiliency on pub/sub delivery to the app: the pub/sub component's inbound retry policy decides how
// often a message the app fails is delivered again, then the dead-letter topic takes it. A component
// without a policy keeps Outrigger's built-in delivery retries (3). Deliveries are counted at the app.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { waitFor } from '@outrigger/kit';
import { call } from '../harness/http.js';
import { freePort, testAppsDir, writeFile } from '../harness/processes.js';
import { inMemoryPubSubYaml, startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

const resiliencyYaml = `---
apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: delivery-policies
spec:
  policies:
    retries:
      fiveQuick:
        policy: constant
        duration: 50ms
        maxRetries: 5
  targets:
    components:
      pubsub:
        inbound:
          retry: fiveQuick
`;

const subscriptions = [
  { pubsubname: 'pubsub', topic: 'orders', route: '/orders', deadLetterTopic: 'orders-dead' },
  { pubsubname: 'pubsub', topic: 'orders-dead', route: '/dead' },
  { pubsubname: 'plainps', topic: 'orders', route: '/plain-orders', deadLetterTopic: 'orders-dead' },
  { pubsubname: 'plainps', topic: 'orders-dead', route: '/plain-dead' },
];

interface Received {
  path: string;
  body: { data?: { id?: string } };
}

describe('resiliency: pub/sub delivery', () => {
  const dir = tempDir();
  let sidecar: SidecarHandle;
  let appPort: number;

  const deliveries = async (path: string, id: string): Promise<number> =>
    ((await call('GET', `http://127.0.0.1:${appPort}/received`)).json() as Received[]).filter((item) => item.path === path && item.body.data?.id === id).length;
  const publish = (pubsub: string, data: object) =>
    call('POST', `${sidecar.baseUrl}/v1.0/publish/${pubsub}/orders`, JSON.stringify(data), { 'content-type': 'application/json' });

  before(async () => {
    const resources = join(dir.path, 'resources');
    writeFile(join(resources, 'pubsub.yaml'), inMemoryPubSubYaml('pubsub') + inMemoryPubSubYaml('plainps') + resiliencyYaml);
    appPort = await freePort();
    sidecar = await startRun({
      appId: 'deliveries', resourcesPath: resources, home: join(dir.path, 'home'), appPort, waitForApp: true,
      appCommand: [process.execPath, join(testAppsDir, 'pubsub-recorder.mjs')], env: { SUBSCRIPTIONS: JSON.stringify(subscriptions) },
    });
  });

  after(async () => {
    await sidecar?.stop();
    dir.cleanup();
  });

  it('delivers again as the inbound retry policy says until the app succeeds', async () => {
    assert.equal((await publish('pubsub', { id: 'three-failures', http: 500, times: 3 })).status, 204);
    await waitFor('the fourth delivery', async () => (await deliveries('/orders', 'three-failures')) === 4, 10_000);
    // A later message through the same subscription has arrived: nothing more is coming for the first.
    assert.equal((await publish('pubsub', { id: 'marker' })).status, 204);
    await waitFor('the marker', async () => (await deliveries('/orders', 'marker')) === 1, 10_000);
    assert.equal(await deliveries('/orders', 'three-failures'), 4);
    assert.equal(await deliveries('/dead', 'three-failures'), 0);
  });

  it('sends the message to the dead-letter topic once maxRetries are used up', async () => {
    assert.equal((await publish('pubsub', { id: 'hopeless', http: 500 })).status, 204);
    await waitFor('the dead-lettered message', async () => (await deliveries('/dead', 'hopeless')) === 1, 10_000);
    assert.equal(await deliveries('/orders', 'hopeless'), 6, 'one delivery and maxRetries 5');
  });

  it('keeps the built-in delivery retries on a component no policy names', async () => {
    assert.equal((await publish('plainps', { id: 'built-in', http: 500 })).status, 204);
    await waitFor('the dead-lettered message', async () => (await deliveries('/plain-dead', 'built-in')) === 1, 15_000);
    assert.equal(await deliveries('/plain-orders', 'built-in'), 4, 'one delivery and the built-in 3 retries');
  });
});
