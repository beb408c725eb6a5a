// The state and metadata APIs over gRPC through both kinds of SDK client, on both embedded state stores,
// plus wire details the SDKs do not show (missing keys, contentType metadata, raw bytes) with a Connect client.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { DaprClient } from '@dapr/dapr';
import { waitFor } from '@outrigger/kit';
import { daprGrpcClient, waitForGrpcApi, type DaprGrpcClient } from '../harness/grpc.js';
import { grpcSdks } from '../harness/grpc-sdks.js';
import { startRun, tempDir, writeStateComponents, type SidecarHandle } from '../harness/sidecars.js';

const unique = () => Math.random().toString(36).slice(2, 10);

interface BulkItem { key: string; data?: unknown; etag?: string }

describe('state and metadata over gRPC', () => {
  const dir = tempDir('outrigger-grpc-state-');
  let sidecar: SidecarHandle;
  let raw: DaprGrpcClient;

  before(async () => {
    sidecar = await startRun({ appId: 'grpc-state', resourcesPath: writeStateComponents(dir.path), home: join(dir.path, 'home'), mode: 'sidecar' });
    await waitForGrpcApi(sidecar);
    raw = daprGrpcClient(sidecar.grpcPort);
  });

  after(async () => {
    await sidecar?.stop();
    dir.cleanup();
  });

  for (const sdk of grpcSdks) {
    describe(sdk.name, () => {
      let client: DaprClient;
      before(async () => {
        client = await sdk.client(sidecar.grpcPort);
      });
      after(async () => {
        await client?.stop();
      });

      for (const store of ['statestore', 'memstore']) {
        it(`saves, gets, bulk-gets and deletes on ${store}`, async () => {
          const key = unique();
          await client.state.save(store, [{ key: `${key}-obj`, value: { nested: [1, 2] } }, { key: `${key}-text`, value: 'plain text' }]);
          assert.deepEqual(await client.state.get(store, `${key}-obj`), { nested: [1, 2] });
          assert.equal(await client.state.get(store, `${key}-text`), 'plain text');
          assert.equal(await client.state.get(store, `${key}-missing`), '', 'a missing key is empty data, not an error');
          const items = await client.state.getBulk(store, [`${key}-obj`, `${key}-text`, `${key}-missing`]) as unknown as BulkItem[];
          const byKey = new Map(items.map((item) => [item.key, item]));
          assert.deepEqual(byKey.get(`${key}-obj`)?.data, { nested: [1, 2] });
          assert.ok(byKey.get(`${key}-obj`)?.etag, 'an ETag');
          assert.equal(byKey.get(`${key}-missing`)?.etag, '');
          await client.state.delete(store, `${key}-obj`);
          assert.equal(await client.state.get(store, `${key}-obj`), '');
        });

        it(`honours ETags on ${store}`, async () => {
          const key = unique();
          await client.state.save(store, [{ key, value: 1 }]);
          const [first] = await client.state.getBulk(store, [key]) as unknown as BulkItem[];
          await client.state.save(store, [{ key, value: 2, etag: first?.etag }]);
          const stale = await client.state.save(store, [{ key, value: 3, etag: first?.etag }]).then(() => undefined, (error: unknown) => error);
          assert.ok(stale, 'a stale ETag is refused');
          assert.equal(sdk.statusOf(stale).code, 10, 'ABORTED');
          assert.equal(await client.state.get(store, key), 2);
          const staleDelete = await client.state.delete(store, key, { etag: first?.etag }).then(() => undefined, (error: unknown) => error);
          assert.equal(sdk.statusOf(staleDelete).code, 10);
          const [current] = await client.state.getBulk(store, [key]) as unknown as BulkItem[];
          await client.state.delete(store, key, { etag: current?.etag });
          assert.equal(await client.state.get(store, key), '');
        });

        it(`runs transactions on ${store}`, async () => {
          const key = unique();
          await client.state.save(store, [{ key: `${key}-gone`, value: 'x' }]);
          await client.state.transaction(store, [
            { operation: 'upsert', request: { key: `${key}-new`, value: '{"made":true}' } },
            { operation: 'delete', request: { key: `${key}-gone` } },
          ]);
          assert.deepEqual(await client.state.get(store, `${key}-new`), { made: true });
          assert.equal(await client.state.get(store, `${key}-gone`), '');
        });

        it(`queries with QueryStateAlpha1 on ${store}`, async () => {
          const tag = unique();
          await client.state.save(store, [{ key: `${tag}1`, value: { tag, city: 'Oslo' } }, { key: `${tag}2`, value: { tag, city: 'Rome' } }]);
          const response = await client.state.query(store, { filter: { AND: [{ EQ: { tag } }, { EQ: { city: 'Rome' } }] }, sort: [], page: { limit: 10 } } as never);
          assert.deepEqual(response.results.map((item) => item.key), [`${tag}2`]);
          const [row] = response.results as unknown as { data: unknown }[];
          // 3.18 hands back the bytes, 3.6.1 the parsed JSON.
          const data = row?.data instanceof Uint8Array ? JSON.parse(Buffer.from(row.data).toString('utf8')) : row?.data;
          assert.deepEqual(data, { tag, city: 'Rome' });
        });
      }

      it('reads and writes the metadata API', async () => {
        const value = unique();
        await client.metadata.set(`team-${value}`, value);
        const metadata = await client.metadata.get();
        assert.equal(metadata.id, 'grpc-state');
        assert.equal(metadata.extended[`team-${value}`], value);
        assert.deepEqual(metadata.components.map((component) => component.name).sort(), ['memstore', 'statestore']);
        assert.ok(metadata.components.find((component) => component.name === 'statestore')?.capabilities.includes('TRANSACTIONAL'));
      });
    });
  }

  describe('wire details (Connect client)', () => {
    it('answers a missing key with empty data and no ETag', async () => {
      const answer = await raw.getState({ storeName: 'statestore', key: `missing-${unique()}` });
      assert.deepEqual([answer.data.length, answer.etag], [0, '']);
    });

    it('stores bytes as sent, and checks values saved with contentType application/json', async () => {
      const key = unique();
      const bytes = Uint8Array.from([0, 255, 1, 254]);
      await raw.saveState({ storeName: 'statestore', states: [{ key, value: bytes }] });
      assert.deepEqual([...(await raw.getState({ storeName: 'statestore', key })).data], [...bytes]);
      await raw.saveState({ storeName: 'statestore', states: [{ key: `${key}-json`, value: Buffer.from('{"a":1}'), metadata: { contentType: 'application/json' } }] });
      assert.deepEqual(JSON.parse(Buffer.from((await raw.getState({ storeName: 'statestore', key: `${key}-json` })).data).toString()), { a: 1 });
      await assert.rejects(
        raw.saveState({ storeName: 'statestore', states: [{ key: `${key}-bad`, value: Buffer.from('not json'), metadata: { contentType: 'application/json' } }] }),
        (error: Error & { code?: number }) => error.code === 3,
      );
    });

    it('deletes several keys with DeleteBulkState and gets none with an empty key list', async () => {
      const key = unique();
      await raw.saveState({ storeName: 'memstore', states: [{ key: `${key}a`, value: Buffer.from('1') }, { key: `${key}b`, value: Buffer.from('2') }] });
      await raw.deleteBulkState({ storeName: 'memstore', states: [{ key: `${key}a` }, { key: `${key}b` }] });
      const bulk = await raw.getBulkState({ storeName: 'memstore', keys: [`${key}a`, `${key}b`] });
      assert.deepEqual(bulk.items.map((item) => item.data.length), [0, 0]);
      assert.deepEqual((await raw.getBulkState({ storeName: 'memstore', keys: [] })).items, []);
    });

    it('keeps TTL metadata of gRPC saves', async () => {
      const key = unique();
      await raw.saveState({ storeName: 'memstore', states: [{ key, value: Buffer.from('"brief"'), metadata: { ttlInSeconds: '1' } }] });
      await waitFor('the item to expire', async () => (await raw.getState({ storeName: 'memstore', key })).data.length === 0, 5_000, 100);
    });
  });
});
