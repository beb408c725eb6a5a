// The configuration API over plain HTTP (the JS SDK has no HTTP configuration client) on
// configuration.sqlite: the test writes the table directly, as an operator would, and a small app
// started here receives the updates the sidecar POSTs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { waitFor } from '@outrigger/kit';
import { call, errorOf } from '../harness/http.js';
import { freePort, writeFile } from '../harness/processes.js';
import { startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

const unique = (): string => Math.random().toString(36).slice(2, 10);

interface Delivery {
  readonly path: string;
  readonly contentType: string | undefined;
  readonly body: { id: string; items: Record<string, { value?: string; version?: string; metadata?: Record<string, string> }> };
}

/** An app that records every POST and answers 200. */
async function startApp(port: number): Promise<{ server: Server; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method === 'POST') {
      deliveries.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Delivery['body'] });
    }
    res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, deliveries };
}

function writeConfigurationComponent(dir: string, dbFile: string): string {
  const resources = join(dir, 'resources');
  writeFile(join(resources, 'configstore.yaml'), `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: configstore
spec:
  type: configuration.sqlite
  version: v1
  metadata:
  - name: connectionString
    value: ${dbFile}
  - name: pollInterval
    value: 50ms
`);
  return resources;
}

describe('configuration API on configuration.sqlite (plain HTTP)', () => {
  const dir = tempDir('outrigger-configuration-');
  const dbFile = join(dir.path, 'configuration.db');
  let sidecar: SidecarHandle;
  let appless: SidecarHandle;
  let bare: SidecarHandle;
  let app: { server: Server; deliveries: Delivery[] };
  let db: Database.Database;
  const upsert = (key: string, value: string, version = '', metadata = '{}') => db.prepare(`INSERT INTO configuration (key, value, version, metadata)
    VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version, metadata = excluded.metadata`).run(key, value, version, metadata);
  const deliveriesOf = (key: string): Delivery[] => app.deliveries.filter((delivery) => delivery.path === `/configuration/configstore/${key}`);

  before(async () => {
    const resources = writeConfigurationComponent(dir.path, dbFile);
    const emptyResources = join(dir.path, 'empty');
    writeFile(join(emptyResources, 'README'), 'no components here\n');
    const home = join(dir.path, 'home');
    const appPort = await freePort();
    app = await startApp(appPort);
    [sidecar, appless, bare] = await Promise.all([
      startRun({ appId: 'settings', resourcesPath: resources, home, mode: 'sidecar', appPort, waitForApp: true }),
      startRun({ appId: 'settings-noapp', resourcesPath: resources, home, mode: 'sidecar' }),
      startRun({ appId: 'settings-none', resourcesPath: emptyResources, home, mode: 'sidecar' }),
    ]);
    // The component created the table when the sidecar loaded it.
    db = new Database(dbFile);
    db.pragma('busy_timeout = 2000');
  });

  after(async () => {
    db?.close();
    await Promise.all([sidecar?.stop(), appless?.stop(), bare?.stop()]);
    await new Promise<void>((resolve) => (app?.server ? app.server.close(() => resolve()) : resolve()));
    dir.cleanup();
  });

  it('gets the keys asked for, leaving out empty fields and missing keys, under both versions', async () => {
    const [a, b] = [`a-${unique()}`, `b-${unique()}`];
    upsert(a, 'one', '3', '{"owner":"ops"}');
    upsert(b, 'two');
    for (const version of ['v1.0', 'v1.0-alpha1']) {
      const response = await call('GET', `${sidecar.baseUrl}/${version}/configuration/configstore?key=${a}&key=${b}&key=missing-${unique()}&metadata.hint=x`);
      assert.equal(response.status, 200, response.text);
      assert.match(response.headers.get('content-type') ?? '', /application\/json/);
      assert.deepEqual(response.json(), { [a]: { value: 'one', version: '3', metadata: { owner: 'ops' } }, [b]: { value: 'two' } });
    }
    const all = (await call('GET', `${sidecar.baseUrl}/v1.0/configuration/configstore`)).json() as Record<string, unknown>;
    assert.ok(a in all && b in all, 'no key: every item');
  });

  it('answers 204 with no body when no key exists', async () => {
    const response = await call('GET', `${sidecar.baseUrl}/v1.0/configuration/configstore?key=missing-${unique()}`);
    assert.deepEqual([response.status, response.text], [204, '']);
  });

  it('subscribes and POSTs each change to /configuration/{store}/{key}, deletes as empty items', async () => {
    const [watched, other] = [`w-${unique()}`, `o-${unique()}`];
    const response = await call('GET', `${sidecar.baseUrl}/v1.0/configuration/configstore/subscribe?key=${watched}`);
    assert.equal(response.status, 200, response.text);
    const { id } = response.json() as { id: string };
    assert.ok(id, 'an id');
    upsert(other, 'not watched');
    upsert(watched, 'v1', '1', '{"by":"test"}');
    await waitFor('the update', () => deliveriesOf(watched).length === 1, 5000, 20);
    const [update] = deliveriesOf(watched);
    assert.match(update?.contentType ?? '', /application\/json/);
    assert.deepEqual(update?.body, { id, items: { [watched]: { value: 'v1', version: '1', metadata: { by: 'test' } } } });
    db.prepare('DELETE FROM configuration WHERE key = ?').run(watched);
    await waitFor('the delete', () => deliveriesOf(watched).length === 2, 5000, 20);
    assert.deepEqual(deliveriesOf(watched)[1]?.body, { id, items: { [watched]: {} } });
    assert.equal(deliveriesOf(other).length, 0, 'the change of a key not subscribed to was not sent');
  });

  it('unsubscribe stops the updates of that subscription only', async () => {
    const [dropped, kept] = [`d-${unique()}`, `k-${unique()}`];
    const subscribe = async (key: string) => ((await call('GET', `${sidecar.baseUrl}/v1.0-alpha1/configuration/configstore/subscribe?key=${key}`)).json() as { id: string }).id;
    const droppedId = await subscribe(dropped);
    await subscribe(kept);
    upsert(dropped, '1');
    await waitFor('the first update', () => deliveriesOf(dropped).length === 1, 5000, 20);
    const response = await call('GET', `${sidecar.baseUrl}/v1.0/configuration/configstore/${droppedId}/unsubscribe`);
    assert.deepEqual([response.status, response.json()], [200, { ok: true }]);
    upsert(dropped, '2');
    upsert(kept, '1');
    // Changes are delivered in order, so once `kept` arrives the change of `dropped` has gone by.
    await waitFor('the update of the kept subscription', () => deliveriesOf(kept).length === 1, 5000, 20);
    assert.equal(deliveriesOf(dropped).length, 1, 'no update after unsubscribe');
    const again = await call('GET', `${sidecar.baseUrl}/v1.0/configuration/configstore/${droppedId}/unsubscribe`);
    assert.equal(again.status, 500);
    assert.deepEqual(again.json(), { message: `failed to unsubscribe to configuration request ${droppedId}: subscription with id ${droppedId} does not exist` });
  });

  it('answers daprd\'s errors', async () => {
    const notFound = await call('GET', `${sidecar.baseUrl}/v1.0/configuration/nope?key=a`);
    assert.equal(notFound.status, 400);
    assert.deepEqual(errorOf(notFound), { errorCode: 'ERR_CONFIGURATION_STORE_NOT_FOUND', message: 'configuration store nope not found' });
    const unsubscribeNotFound = await call('GET', `${sidecar.baseUrl}/v1.0/configuration/nope/some-id/unsubscribe`);
    assert.equal(errorOf(unsubscribeNotFound).errorCode, 'ERR_CONFIGURATION_STORE_NOT_FOUND');
    const noApp = await call('GET', `${appless.baseUrl}/v1.0/configuration/configstore/subscribe?key=a`);
    assert.equal(noApp.status, 500);
    assert.deepEqual(errorOf(noApp), { errorCode: 'ERR_APP_CHANNEL_NIL', message: 'app channel is not initialized. cannot subscribe to configuration updates' });
    const none = await call('GET', `${bare.baseUrl}/v1.0/configuration/configstore?key=a`);
    assert.equal(none.status, 500);
    assert.deepEqual(errorOf(none), { errorCode: 'ERR_CONFIGURATION_STORE_NOT_CONFIGURED', message: 'configuration stores not configured' });
    upsert('broken', 'v', '', 'not json');
    const broken = await call('GET', `${sidecar.baseUrl}/v1.0/configuration/configstore?key=broken&key=other`);
    assert.equal(broken.status, 500);
    assert.equal(errorOf(broken).errorCode, 'ERR_CONFIGURATION_GET');
    assert.match(errorOf(broken).message, /^failed to get \[broken other\] from Configuration store configstore: metadata of key "broken" is not valid JSON/);
  });

  it('stops cleanly with a subscription open', async () => {
    const response = await call('GET', `${sidecar.baseUrl}/v1.0/configuration/configstore/subscribe`);
    assert.equal(response.status, 200);
    await sidecar.stop();
    assert.equal(await sidecar.process.exited, 0, sidecar.process.output);
  });
});
