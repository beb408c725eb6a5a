// The building blocks over gRPC through both kinds of SDK client: pub/sub publish and bulk publish (to an
// HTTP subscriber), invocation of an HTTP app through InvokeService (same sidecar and another one),
// bindings, secrets, configuration get/subscribe/unsubscribe (a gRPC stream), lock, and shutdown.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { HttpMethod, type DaprClient } from '@dapr/dapr';
import { waitFor } from '@outrigger/kit';
import { fromBinary } from '@bufbuild/protobuf';
import { Dapr } from '@dapr/dapr/proto/dapr/proto/runtime/v1/dapr_pb.js';
import { grpcJsUnary, waitForGrpcApi } from '../harness/grpc.js';
import { grpcSdks } from '../harness/grpc-sdks.js';
import { freePort, writeFile } from '../harness/processes.js';
import { inMemoryPubSubYaml, startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

const unique = (): string => Math.random().toString(36).slice(2, 10);

interface Received { readonly path: string; readonly body: Record<string, unknown> }

/** An HTTP app: subscribes to `orders`, records events, echoes invocations, answers `/fail` with 500. */
async function startApp(port: number): Promise<{ server: Server; events: Received[] }> {
  const events: Received[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://app');
    if (req.method === 'GET' && url.pathname === '/dapr/subscribe') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([{ pubsubname: 'pubsub', topic: 'orders', route: '/orders' }]));
      return;
    }
    if (url.pathname === '/orders') {
      events.push({ path: url.pathname, body: JSON.parse(text) as Record<string, unknown> });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"SUCCESS"}');
      return;
    }
    if (url.pathname === '/fail') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('the app failed on purpose');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-app': 'echo' });
    res.end(JSON.stringify({ method: req.method, path: url.pathname, query: url.search, headers: req.headers, body: text }));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, events };
}

function writeComponents(dir: string): { resources: string; configDb: string } {
  const configDb = join(dir, 'configuration.db');
  const secretsFile = writeFile(join(dir, 'secrets.json'), JSON.stringify({ db: { password: 's3cret' }, api: 'key-1' }));
  const resources = join(dir, 'resources');
  writeFile(join(resources, 'components.yaml'), `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: files
spec:
  type: bindings.localstorage
  version: v1
  metadata:
  - name: rootPath
    value: ${join(dir, 'files')}
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: secrets
spec:
  type: secretstores.local.file
  version: v1
  metadata:
  - name: secretsFile
    value: ${JSON.stringify(secretsFile)}
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: configstore
spec:
  type: configuration.sqlite
  version: v1
  metadata:
  - name: connectionString
    value: ${configDb}
  - name: pollInterval
    value: 50ms
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: lockstore
spec:
  type: lock.in-memory
  version: v1
${inMemoryPubSubYaml('pubsub')}`);
  return { resources, configDb };
}

/** Bytes as the two SDKs hand them back (3.6.1's google-protobuf may give base64 text). */
function bytesOf(value: unknown): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  return Buffer.from(value as Uint8Array);
}

describe('building blocks over gRPC', () => {
  const dir = tempDir('outrigger-grpc-blocks-');
  let app: { server: Server; events: Received[] };
  let sidecar: SidecarHandle;
  let caller: SidecarHandle;
  let db: Database.Database;

  before(async () => {
    const { resources, configDb } = writeComponents(dir.path);
    const home = join(dir.path, 'home');
    const appPort = await freePort();
    app = await startApp(appPort);
    [sidecar, caller] = await Promise.all([
      startRun({ appId: 'grpc-blocks', resourcesPath: resources, home, mode: 'sidecar', appPort, waitForApp: true }),
      startRun({ appId: 'grpc-caller', resourcesPath: resources, home, mode: 'sidecar' }),
    ]);
    await Promise.all([waitForGrpcApi(sidecar), waitForGrpcApi(caller)]);
    db = new Database(configDb);
    db.pragma('busy_timeout = 2000');
  });

  after(async () => {
    db?.close();
    await Promise.all([sidecar?.stop(), caller?.stop()]);
    await new Promise<void>((resolve) => (app?.server ? app.server.close(() => resolve()) : resolve()));
    dir.cleanup();
  });

  for (const sdk of grpcSdks) {
    describe(sdk.name, () => {
      let client: DaprClient;
      let remote: DaprClient;
      before(async () => {
        [client, remote] = await Promise.all([sdk.client(sidecar.grpcPort), sdk.client(caller.grpcPort)]);
      });
      after(async () => {
        await Promise.all([client?.stop(), remote?.stop()]);
      });

      it('publishes and bulk-publishes to an HTTP subscriber', async () => {
        const [one, two, three] = [unique(), unique(), unique()];
        await client.pubsub.publish('pubsub', 'orders', { id: one });
        const bulk = await client.pubsub.publishBulk('pubsub', 'orders', [{ id: two }, { id: three }]);
        assert.deepEqual(bulk.failedMessages, []);
        const dataIds = () => app.events.map((event) => (event.body.data as { id?: string } | undefined)?.id);
        await waitFor('three events at the app', () => [one, two, three].every((id) => dataIds().includes(id)), 10_000, 20);
        const first = app.events.find((event) => (event.body.data as { id?: string }).id === one);
        assert.deepEqual([first?.body.source, first?.body.topic, first?.body.pubsubname, first?.body.datacontenttype], ['grpc-blocks', 'orders', 'pubsub', 'application/json']);
      });

      for (const via of ['the same sidecar', 'another sidecar']) {
        it(`invokes an HTTP app through InvokeService from ${via}`, async () => {
          const target = via === 'the same sidecar' ? client : remote;
          const echo = await target.invoker.invoke('grpc-blocks', 'orders-api/echo', HttpMethod.PUT, { n: 1 }) as {
            method: string; path: string; headers: Record<string, string>; body: string;
          };
          assert.deepEqual([echo.method, echo.path, JSON.parse(echo.body)], ['PUT', '/orders-api/echo', { n: 1 }]);
          assert.match(echo.headers['content-type'] ?? '', /application\/json/);
          assert.equal(echo.headers['dapr-caller-app-id'], via === 'the same sidecar' ? 'grpc-blocks' : 'grpc-caller');
          assert.equal(echo.headers['dapr-api-token'], undefined);
          const failed = await target.invoker.invoke('grpc-blocks', 'fail', HttpMethod.GET).then(() => undefined, (error: unknown) => error);
          const status = sdk.statusOf(failed);
          // daprd's mapping of an HTTP app's 500: UNKNOWN, "Internal Server Error", the body in ErrorInfo metadata.
          assert.deepEqual([status.code, status.errorInfo?.reason, status.errorInfo?.metadata['http.code']], [2, 'Internal Server Error', '500']);
          assert.equal(status.errorInfo?.metadata['http.error_message'], 'the app failed on purpose');
        });
      }

      it('invokes an output binding', async () => {
        const fileName = `${unique()}.txt`;
        await client.binding.send('files', 'create', 'hello over gRPC', { fileName });
        const got = await client.binding.send('files', 'get', undefined, { fileName }) as { data: unknown };
        assert.equal(bytesOf(got.data).toString('utf8'), 'hello over gRPC');
      });

      it('reads secrets one by one and in bulk', async () => {
        assert.deepEqual(await client.secret.get('secrets', 'db:password'), { 'db:password': 's3cret' });
        if (sdk.name.includes('3.18')) {
          const bulk = await client.secret.getBulk('secrets') as Record<string, Record<string, string>>;
          assert.deepEqual(bulk, { api: { api: 'key-1' }, 'db:password': { 'db:password': 's3cret' } });
        } else {
          // 3.6.1's getBulk reads a private field of google-protobuf's Map that current google-protobuf
          // builds do not have (it resolves undefined against any sidecar); ask over grpc-js directly.
          const answer = fromBinary(Dapr.method.getBulkSecret.output, await grpcJsUnary(sidecar.grpcPort, 'getBulkSecret', { storeName: 'secrets' }));
          assert.deepEqual(answer.data.api?.secrets, { api: 'key-1' });
          assert.deepEqual(Object.keys(answer.data).sort(), ['api', 'db:password']);
        }
      });

      it('gets configuration, streams updates to a subscriber and stops on unsubscribe', async () => {
        const key = `k-${unique()}`;
        const upsert = (value: string) => db.prepare(`INSERT INTO configuration (key, value, version, metadata) VALUES (?, ?, '1', '{}')
          ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(key, value);
        upsert('first');
        const got = await client.configuration.get('configstore', [key]);
        assert.equal(got.items[key]?.value, 'first');
        const updates: string[] = [];
        const subscription = await client.configuration.subscribeWithKeys('configstore', [key], async (update) => {
          updates.push(update.items[key]?.value ?? '');
        });
        // The subscription is live once its id came back; write until the first update arrives.
        await waitFor('the first update', () => {
          if (updates.length === 0) upsert(`second-${unique()}`);
          return updates.length > 0;
        }, 10_000, 200);
        assert.match(updates[0] ?? '', /^second-/);
        await subscription.stop();
        const seen = updates.length;
        upsert('after-stop');
        // Proof of absence: a fresh subscription sees the next change, the stopped one does not.
        const witness: string[] = [];
        const second = await client.configuration.subscribeWithKeys('configstore', [key], async (update) => {
          witness.push(update.items[key]?.value ?? '');
        });
        await waitFor('the witness update', () => {
          if (witness.length === 0) upsert(`witness-${unique()}`);
          return witness.length > 0;
        }, 10_000, 200);
        await second.stop();
        assert.equal(updates.length, seen, 'no update after stop');
      });

      it('takes and releases a lock', async () => {
        const resource = unique();
        assert.deepEqual(await client.lock.lock('lockstore', resource, 'owner-a', 30), { success: true });
        assert.deepEqual(await client.lock.lock('lockstore', resource, 'owner-b', 30), { success: false });
        const otherOwner = await client.lock.unlock('lockstore', resource, 'owner-b');
        const released = await client.lock.unlock('lockstore', resource, 'owner-a');
        const missing = await client.lock.unlock('lockstore', resource, 'owner-a');
        // LockStatus: 0 success, 1 does not exist, 2 belongs to others.
        assert.deepEqual([otherOwner.status, released.status, missing.status], [2, 0, 1]);
      });

      it('shuts the sidecar down', async () => {
        const doomed = await startRun({ appId: `grpc-doomed-${unique()}`, resourcesPath: join(dir.path, 'resources'), home: join(dir.path, 'home'), mode: 'sidecar' });
        try {
          await waitForGrpcApi(doomed);
          const doomedClient = await sdk.client(doomed.grpcPort);
          await doomedClient.sidecar.shutdown();
          assert.equal(await doomed.process.exited, 0, doomed.process.output);
          await doomedClient.stop().catch(() => undefined);
        } finally {
          await doomed.stop();
        }
      });
    });
  }
});
