// Topic events for an app that speaks gRPC (the official SDK's DaprServer in gRPC mode): delivery
// through ListTopicSubscriptions and OnTopicEvent, route rules, RETRY and DROP (to the dead-letter
// topic), and bulk subscriptions, which reach the SDK's OnBulkTopicEventAlpha1 after the stable
// method's UNIMPLEMENTED.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { waitFor } from '@outrigger/kit';
import { call } from '../harness/http.js';
import { freePort, testAppsDir, writeFile } from '../harness/processes.js';
import { inMemoryPubSubYaml, startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

interface Seen {
  orders: { data: { id: string }; headers: Record<string, string> }[];
  important: { id: string }[];
  normal: { id: string }[];
  flaky: Record<string, number>;
  dead: { id: string }[];
  bulk: { id: string }[];
}

describe('topic events for a gRPC app', () => {
  const dir = tempDir();
  let sidecar: SidecarHandle;
  const seen = async (): Promise<Seen> => (await call('GET', `${sidecar.baseUrl}/v1.0/invoke/grpcsub/method/seen`)).json() as Seen;
  const publish = async (topic: string, body: object, query = '') => {
    const answer = await call('POST', `${sidecar.baseUrl}/v1.0/publish/pubsub/${topic}${query}`, body, { 'content-type': 'application/json' });
    assert.equal(answer.status, 204, answer.text);
  };

  before(async () => {
    const resources = join(dir.path, 'resources');
    writeFile(join(resources, 'pubsub.yaml'), inMemoryPubSubYaml());
    const appPort = await freePort();
    sidecar = await startRun({
      appId: 'grpcsub', resourcesPath: resources, home: join(dir.path, 'home'), appPort, waitForApp: true,
      extraFlags: ['--app-protocol', 'grpc', '--log-level', 'debug'], appCommand: [process.execPath, join(testAppsDir, 'grpc-sdk-app.mjs')],
    });
  });

  after(async () => {
    await sidecar?.stop();
    dir.cleanup();
  });

  it('lists the app\'s subscriptions, with the routes it gave', async () => {
    const metadata = (await call('GET', `${sidecar.baseUrl}/v1.0/metadata`)).json() as { subscriptions: { topic: string; rules: { match: string; path: string }[] }[] };
    const routed = metadata.subscriptions.find((subscription) => subscription.topic === 'routed');
    // Paths exactly as the SDK gave them: they come back to it in TopicEventRequest.path.
    assert.deepEqual(routed?.rules, [{ match: 'event.type == "important"', path: '/pubsub--routed--important' }, { match: '', path: '/pubsub--routed--normal' }]);
    assert.deepEqual(metadata.subscriptions.map((subscription) => subscription.topic).sort(), ['bulk', 'doomed', 'doomed-dead', 'flaky', 'orders', 'routed']);
  });

  it('delivers an event with its data and the broker metadata as gRPC metadata', async () => {
    await publish('orders', { id: 'order-1', total: 5 }, '?metadata.priority=high');
    const orders = await waitFor('the order', async () => {
      const found = (await seen()).orders;
      return found.length > 0 ? found : undefined;
    }, 10_000);
    assert.deepEqual(orders[0]?.data, { id: 'order-1', total: 5 });
    assert.equal(orders[0]?.headers.priority, 'high');
  });

  it('routes by the subscription\'s CEL rules', async () => {
    await publish('routed', { id: 'vip' }, '?metadata.cloudevent.type=important');
    await publish('routed', { id: 'ordinary' });
    const final = await waitFor('both routed events', async () => {
      const current = await seen();
      return current.important.length + current.normal.length === 2 ? current : undefined;
    }, 10_000);
    assert.deepEqual(final.important.map((event) => event.id), ['vip']);
    assert.deepEqual(final.normal.map((event) => event.id), ['ordinary']);
  });

  it('redelivers after RETRY until the app answers SUCCESS', async () => {
    await publish('flaky', { id: 'wobbly' });
    await waitFor('three attempts', async () => (await seen()).flaky.wobbly === 3, 10_000);
  });

  it('sends a DROPped event to the subscription\'s dead-letter topic', async () => {
    await publish('doomed', { id: 'lost-cause' });
    await waitFor('the dead letter', async () => (await seen()).dead.some((event) => event.id === 'lost-cause'), 10_000);
  });

  it('delivers bulk subscriptions through OnBulkTopicEventAlpha1 after the stable method\'s UNIMPLEMENTED', async () => {
    for (let index = 0; index < 25; index++) await publish('bulk', { id: `bulk-${index}` });
    await waitFor('every bulk entry', async () => new Set((await seen()).bulk.map((event) => event.id)).size === 25, 15_000);
    assert.match(sidecar.process.output, /falling back to OnBulkTopicEventAlpha1/);
  });
});
