// Pub/sub wire details with plain HTTP: CloudEvent fields, rawPayload, route rules, RETRY, DROP,
// dead-letter topics, bulk subscribe and bulk publish, against a plain HTTP subscriber app.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { waitFor } from '@outrigger/kit';
import { call, errorOf } from '../harness/http.js';
import { freePort, testAppsDir, writeFile } from '../harness/processes.js';
import { inMemoryPubSubYaml, startRun, tempDir, writeStateComponents, type SidecarHandle } from '../harness/sidecars.js';

interface Received {
  path: string;
  headers: Record<string, string>;
  body: Record<string, unknown> & { data?: unknown; data_base64?: string; entries?: { entryId: string; event: Record<string, unknown> }[] };
}

const subscriptions = [
  { pubsubname: 'pubsub', topic: 'plain', route: '/plain' },
  { pubsubname: 'pubsub', topic: 'routed', routes: { rules: [{ match: 'event.type == "vip"', path: '/vip' }, { match: 'event.data.amount > 100', path: '/big' }], default: '/small' } },
  { pubsubname: 'pubsub', topic: 'raw', route: '/raw', metadata: { rawPayload: 'true' } },
  { pubsubname: 'pubsub', topic: 'flaky', route: '/flaky', deadLetterTopic: 'poison' },
  { pubsubname: 'pubsub', topic: 'poison', route: '/poison' },
  { pubsubname: 'pubsub', topic: 'batch', route: '/batch', bulkSubscribe: { enabled: true, maxMessagesCount: 10, maxAwaitDurationMs: 200 } },
];

const declared = `---
apiVersion: dapr.io/v2alpha1
kind: Subscription
metadata:
  name: declared-sub
spec:
  pubsubname: pubsub
  topic: declared
  routes:
    default: /declared
scopes: [pubrec]
`;

describe('pub/sub over HTTP (wire level)', () => {
  const dir = tempDir();
  let sidecar: SidecarHandle;
  let appPort: number;

  const received = async (): Promise<Received[]> => (await call('GET', `http://127.0.0.1:${appPort}/received`)).json() as Received[];
  const deliveriesTo = async (path: string, id?: string): Promise<Received[]> => (await received()).filter((item) =>
    item.path === path && (id === undefined || (item.body.data as { id?: string } | undefined)?.id === id));
  const publish = (topic: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }, query = '') =>
    call('POST', `${sidecar.baseUrl}/v1.0/publish/pubsub/${topic}${query}`, typeof body === 'string' ? body : JSON.stringify(body), headers);

  before(async () => {
    const resources = writeStateComponents(dir.path, inMemoryPubSubYaml());
    writeFile(join(resources, 'subscription.yaml'), declared);
    appPort = await freePort();
    sidecar = await startRun({
      appId: 'pubrec', resourcesPath: resources, home: join(dir.path, 'home'), appPort, waitForApp: true,
      appCommand: [process.execPath, join(testAppsDir, 'pubsub-recorder.mjs')], env: { SUBSCRIPTIONS: JSON.stringify(subscriptions) },
    });
  });

  after(async () => {
    await sidecar?.stop();
    dir.cleanup();
  });

  it('wraps a JSON payload in a CloudEvent with Dapr\'s fields and trace context', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    assert.equal((await publish('plain', { id: 'ce1', n: 1 }, { 'content-type': 'application/json', traceparent })).status, 204);
    const [delivery] = await waitFor('the delivery', async () => (await deliveriesTo('/plain', 'ce1'))[0] && deliveriesTo('/plain', 'ce1'));
    assert.ok(delivery);
    assert.equal(delivery.headers['content-type'], 'application/cloudevents+json');
    const event = delivery.body;
    assert.equal(event.specversion, '1.0');
    assert.equal(event.source, 'pubrec');
    assert.equal(event.type, 'com.dapr.event.sent');
    assert.equal(event.datacontenttype, 'application/json');
    assert.deepEqual(event.data, { id: 'ce1', n: 1 });
    assert.equal(event.topic, 'plain');
    assert.equal(event.pubsubname, 'pubsub');
    assert.equal(event.traceparent, traceparent);
    assert.equal(event.traceid, traceparent);
    assert.match(String(event.id), /^[0-9a-f-]{36}$/);
    assert.ok(!Number.isNaN(Date.parse(String(event.time))));
  });

  it('keeps text as data, binary as data_base64, and a caller\'s CloudEvent as it is', async () => {
    await publish('plain', 'hello text', { 'content-type': 'text/plain' });
    await publish('plain', Buffer.from([1, 2, 3, 250]).toString('latin1'), { 'content-type': 'application/octet-stream' });
    const own = { specversion: '1.0', id: 'my-own-id', source: 'elsewhere', type: 'custom.type', datacontenttype: 'application/json', data: { id: 'own' } };
    await publish('plain', own, { 'content-type': 'application/cloudevents+json' });
    await publish('plain', { id: 'overridden' }, { 'content-type': 'application/json' }, '?metadata.cloudevent.type=my.type&metadata.cloudevent.id=fixed-id');
    const all = await waitFor('four deliveries', async () => {
      const items = (await deliveriesTo('/plain')).map((item) => item.body);
      return items.length >= 5 && items;
    });
    assert.ok(all.some((event) => event.data === 'hello text' && event.datacontenttype === 'text/plain'));
    assert.ok(all.some((event) => typeof event.data_base64 === 'string' && event.datacontenttype === 'application/octet-stream'));
    const passed = all.find((event) => event.id === 'my-own-id');
    assert.deepEqual([passed?.source, passed?.type, passed?.topic, passed?.pubsubname], ['elsewhere', 'custom.type', 'plain', 'pubsub']);
    const overridden = all.find((event) => (event.data as { id?: string } | undefined)?.id === 'overridden');
    assert.deepEqual([overridden?.id, overridden?.type], ['fixed-id', 'my.type']);
  });

  it('publishes raw payloads with rawPayload and delivers them as data_base64', async () => {
    assert.equal((await publish('raw', { id: 'raw1', raw: true }, { 'content-type': 'application/json' }, '?metadata.rawPayload=true')).status, 204);
    const [delivery] = await waitFor('the raw delivery', async () => { const items = await deliveriesTo('/raw'); return items.length > 0 && items; });
    assert.deepEqual(JSON.parse(Buffer.from(String(delivery?.body.data_base64), 'base64').toString()), { id: 'raw1', raw: true });
  });

  it('routes by CEL rules over the event, falling back to the default route', async () => {
    await publish('routed', { specversion: '1.0', id: 'v1', source: 's', type: 'vip', data: { id: 'vip1', amount: 1 } }, { 'content-type': 'application/cloudevents+json' });
    await publish('routed', { id: 'big1', amount: 150 });
    await publish('routed', { id: 'small1', amount: 5 });
    await waitFor('three routed deliveries', async () => (await deliveriesTo('/vip', 'vip1')).length === 1
      && (await deliveriesTo('/big', 'big1')).length === 1 && (await deliveriesTo('/small', 'small1')).length === 1);
  });

  it('redelivers on RETRY until the app succeeds, without dead-lettering', async () => {
    await publish('flaky', { id: 'retry1', want: 'RETRY', times: 2 });
    await waitFor('three deliveries', async () => (await deliveriesTo('/flaky', 'retry1')).length === 3, 10_000);
    assert.equal((await deliveriesTo('/poison', 'retry1')).length, 0);
  });

  it('sends a dropped message to the dead-letter topic', async () => {
    await publish('flaky', { id: 'drop1', want: 'DROP' });
    await waitFor('the dead letter', async () => (await deliveriesTo('/poison', 'drop1')).length === 1, 10_000);
    assert.equal((await deliveriesTo('/flaky', 'drop1')).length, 1);
  });

  it('sends a message to the dead-letter topic once retries run out', async () => {
    await publish('flaky', { id: 'fail1', http: 500 });
    await waitFor('the dead letter', async () => (await deliveriesTo('/poison', 'fail1')).length === 1, 15_000);
    assert.equal((await deliveriesTo('/flaky', 'fail1')).length, 4, 'one delivery and three retries');
  });

  it('delivers bulk batches and redelivers the entries the app asks to retry', async () => {
    const entries = Array.from({ length: 5 }, (_, index) => ({
      entryId: `e${index}`, event: { id: `bulk${index}`, ...(index === 2 ? { want: 'RETRY', times: 1 } : {}) }, contentType: 'application/json',
    }));
    assert.equal((await call('POST', `${sidecar.baseUrl}/v1.0-alpha1/publish/bulk/pubsub/batch`, entries)).status, 204);
    const batches = await waitFor('bulk deliveries covering every entry twice for bulk2', async () => {
      const items = (await received()).filter((item) => item.path === '/batch');
      const ids = items.flatMap((item) => (item.body.entries ?? []).map((entry) => (entry.event.data as { id: string }).id));
      return ids.filter((id) => id === 'bulk2').length === 2 && ids.length >= 6 && items;
    }, 15_000);
    for (const batch of batches) {
      assert.equal(batch.body.type, 'com.dapr.event.sent.bulk');
      assert.equal(batch.body.topic, 'batch');
      assert.ok((batch.body.entries?.length ?? 0) <= 10);
    }
  });

  it('refuses bad publishes with Dapr\'s error codes', async () => {
    const unknown = await call('POST', `${sidecar.baseUrl}/v1.0/publish/nope/t`, '{}');
    assert.equal(unknown.status, 404);
    assert.equal(errorOf(unknown).errorCode, 'ERR_PUBSUB_NOT_FOUND');
    const badEvent = await call('POST', `${sidecar.baseUrl}/v1.0/publish/pubsub/plain`, '{not json', { 'content-type': 'application/cloudevents+json' });
    assert.equal(errorOf(badEvent).errorCode, 'ERR_PUBSUB_CLOUD_EVENTS_SER');
    const duplicate = await call('POST', `${sidecar.baseUrl}/v1.0-alpha1/publish/bulk/pubsub/plain`, [{ entryId: 'a', event: 1 }, { entryId: 'a', event: 2 }]);
    assert.equal(duplicate.status, 400);
    assert.equal(errorOf(duplicate).errorCode, 'ERR_PUBSUB_EVENTS_SER');
  });

  it('lists programmatic and declarative subscriptions in the metadata API, and delivers both', async () => {
    const metadata = (await call('GET', `${sidecar.baseUrl}/v1.0/metadata`)).json() as { subscriptions: { topic: string; type: string; rules: { match: string; path: string }[]; deadLetterTopic?: string }[] };
    const routed = metadata.subscriptions.find((subscription) => subscription.topic === 'routed');
    assert.equal(routed?.type, 'PROGRAMMATIC');
    assert.deepEqual(routed?.rules.at(-1), { match: '', path: '/small' });
    assert.equal(metadata.subscriptions.find((subscription) => subscription.topic === 'flaky')?.deadLetterTopic, 'poison');
    assert.equal(metadata.subscriptions.find((subscription) => subscription.topic === 'declared')?.type, 'DECLARATIVE');
    await publish('declared', { id: 'decl1' });
    await waitFor('the declarative delivery', async () => (await deliveriesTo('/declared', 'decl1')).length === 1);
  });
});
