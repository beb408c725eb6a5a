// The official @dapr/dapr SDK (HTTP mode) against `outrigger run`, on both embedded state stores.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { waitFor } from '@outrigger/kit';
import { startRun, tempDir, writeStateComponents, type SidecarHandle } from '../harness/sidecars.js';

const unique = () => Math.random().toString(36).slice(2, 10);

interface BulkItem { key: string; data?: unknown; etag?: string }

describe('state through the official SDK (HTTP)', () => {
  const dir = tempDir();
  let sidecar: SidecarHandle;
  let client: DaprClient;

  before(async () => {
    sidecar = await startRun({ appId: 'sdk-state', resourcesPath: writeStateComponents(dir.path), home: join(dir.path, 'home') });
    client = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(sidecar.httpPort), communicationProtocol: CommunicationProtocolEnum.HTTP, logger: { level: LogLevel.Error } });
    await client.start();
  });

  after(async () => {
    await client?.stop();
    await sidecar?.stop();
    dir.cleanup();
  });

  for (const store of ['statestore', 'memstore']) {
    describe(`on ${store}`, () => {
      it('saves, gets and deletes values of every JSON type', async () => {
        const key = unique();
        const values: unknown[] = [{ nested: { list: [1, 2] } }, 'plain text', 42, true, [1, 'two']];
        const saved = await client.state.save(store, values.map((value, index) => ({ key: `${key}-${index}`, value })));
        assert.equal(saved.error, undefined);
        for (const [index, value] of values.entries()) assert.deepEqual(await client.state.get(store, `${key}-${index}`), value);
        assert.equal((await client.state.delete(store, `${key}-0`)).error, undefined);
        assert.equal(await client.state.get(store, `${key}-0`), '');
      });

      it('reads several keys with getBulk, ETags included', async () => {
        const key = unique();
        await client.state.save(store, [{ key: `${key}a`, value: { a: 1 } }, { key: `${key}b`, value: 'b' }]);
        const items = await client.state.getBulk(store, [`${key}a`, `${key}b`, `${key}missing`]) as unknown as BulkItem[];
        const byKey = new Map(items.map((item) => [item.key, item]));
        assert.deepEqual(byKey.get(`${key}a`)?.data, { a: 1 });
        assert.equal(byKey.get(`${key}b`)?.data, 'b');
        assert.ok(byKey.get(`${key}a`)?.etag);
        assert.equal(byKey.get(`${key}missing`)?.data, undefined);
      });

      it('honours ETags on save and delete', async () => {
        const key = unique();
        await client.state.save(store, [{ key, value: 1 }]);
        const [first] = await client.state.getBulk(store, [key]) as unknown as BulkItem[];
        assert.equal((await client.state.save(store, [{ key, value: 2, etag: first?.etag }])).error, undefined);
        const stale = await client.state.save(store, [{ key, value: 3, etag: first?.etag }]);
        assert.match(String(stale.error), /409/);
        assert.equal(await client.state.get(store, key), 2);
        const staleDelete = await client.state.delete(store, key, { etag: first?.etag });
        assert.match(String(staleDelete.error), /409/);
        const [current] = await client.state.getBulk(store, [key]) as unknown as BulkItem[];
        assert.equal((await client.state.delete(store, key, { etag: current?.etag })).error, undefined);
        assert.equal(await client.state.get(store, key), '');
      });

      it('runs transactions', async () => {
        const key = unique();
        await client.state.save(store, [{ key: `${key}-gone`, value: 'x' }]);
        await client.state.transaction(store, [
          { operation: 'upsert', request: { key: `${key}-new`, value: { made: true } } },
          { operation: 'delete', request: { key: `${key}-gone` } },
        ]);
        assert.deepEqual(await client.state.get(store, `${key}-new`), { made: true });
        assert.equal(await client.state.get(store, `${key}-gone`), '');
      });

      it('expires items saved with ttlInSeconds metadata', async () => {
        const key = unique();
        await client.state.save(store, [{ key, value: 'brief', metadata: { ttlInSeconds: '1' } }]);
        assert.equal(await client.state.get(store, key), 'brief');
        await waitFor('the item to expire', async () => (await client.state.get(store, key)) === '', 5_000, 100);
      });

      it('queries with the alpha1 query API', async () => {
        const tag = unique();
        await client.state.save(store, [{ key: `${tag}1`, value: { tag, city: 'Oslo', n: 1 } }, { key: `${tag}2`, value: { tag, city: 'Rome', n: 2 } }]);
        const response = await client.state.query(store, { filter: { AND: [{ EQ: { tag } }, { IN: { city: ['Rome', 'Lima'] } }] }, sort: [], page: { limit: 10 } } as never);
        assert.deepEqual(response.results.map((item) => item.key), [`${tag}2`]);
      });
    });
  }

  it('reports the sidecar through the metadata API and the health check', async () => {
    const metadata = await client.metadata.get();
    assert.equal(metadata.id, 'sdk-state');
    assert.deepEqual(metadata.components.map((component) => component.name).sort(), ['memstore', 'statestore']);
    await client.metadata.set('team', 'platform');
    assert.equal((await client.metadata.get()).extended.team, 'platform');
    assert.equal(await client.health.isHealthy(), true);
  });
});
