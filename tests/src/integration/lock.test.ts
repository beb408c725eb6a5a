// The distributed lock API (alpha1) across two OS processes: two `outrigger run` sidecars sharing one
// lock.sqlite file, driven by the official SDK (HTTP mode) and by plain HTTP for the wire details.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { LockStatus } from '@dapr/dapr/types/lock/UnlockResponse.js';
import { waitFor } from '@outrigger/kit';
import { call, errorOf } from '../harness/http.js';
import { writeFile } from '../harness/processes.js';
import { startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

const unique = (): string => Math.random().toString(36).slice(2, 10);

/** `lockstore` shares keys between apps (keyPrefix `name`); `applocks` keeps Dapr's default per-app keys. */
function writeLockComponents(dir: string): string {
  const resources = join(dir, 'resources');
  const sqliteLock = (name: string, table: string, extra: string) => `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: ${name}
spec:
  type: lock.sqlite
  version: v1
  metadata:
  - name: connectionString
    value: ${join(dir, 'locks.db')}
  - name: tableName
    value: ${table}
${extra}`;
  writeFile(join(resources, 'locks.yaml'), `${sqliteLock('lockstore', 'shared_locks', '  - name: keyPrefix\n    value: name\n')}---
${sqliteLock('applocks', 'app_locks', '')}---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: memlock
spec:
  type: lock.in-memory
  version: v1
`);
  return resources;
}

function sdkClient(sidecar: SidecarHandle): DaprClient {
  return new DaprClient({ daprHost: '127.0.0.1', daprPort: String(sidecar.httpPort), communicationProtocol: CommunicationProtocolEnum.HTTP, logger: { level: LogLevel.Error } });
}

describe('distributed lock across two sidecar processes', () => {
  const dir = tempDir('outrigger-lock-');
  let first: SidecarHandle;
  let second: SidecarHandle;
  let bare: SidecarHandle;
  let clientA: DaprClient;
  let clientB: DaprClient;

  before(async () => {
    const resources = writeLockComponents(dir.path);
    const home = join(dir.path, 'home');
    const emptyResources = join(dir.path, 'empty');
    writeFile(join(emptyResources, 'README'), 'no components here\n');
    [first, second, bare] = await Promise.all([
      startRun({ appId: 'locker-a', resourcesPath: resources, home }),
      startRun({ appId: 'locker-b', resourcesPath: resources, home }),
      startRun({ appId: 'lockless', resourcesPath: emptyResources, home, mode: 'sidecar' }),
    ]);
    clientA = sdkClient(first);
    clientB = sdkClient(second);
  });

  after(async () => {
    await Promise.all([clientA?.stop(), clientB?.stop()]);
    await Promise.all([first?.stop(), second?.stop(), bare?.stop()]);
    dir.cleanup();
  });

  it('one process holds the lock, the other is refused until it is released (SDK)', async () => {
    const resource = `order-${unique()}`;
    assert.deepEqual(await clientA.lock.lock('lockstore', resource, 'owner-a', 60), { success: true });
    assert.deepEqual(await clientB.lock.lock('lockstore', resource, 'owner-b', 60), { success: false });
    assert.deepEqual(await clientB.lock.unlock('lockstore', resource, 'owner-b'), { status: LockStatus.LockBelongsToOthers });
    assert.deepEqual(await clientA.lock.unlock('lockstore', resource, 'owner-a'), { status: LockStatus.Success });
    assert.deepEqual(await clientB.lock.lock('lockstore', resource, 'owner-b', 60), { success: true });
    assert.deepEqual(await clientA.lock.unlock('lockstore', resource, 'owner-a'), { status: LockStatus.LockBelongsToOthers });
    assert.deepEqual(await clientB.lock.unlock('lockstore', resource, 'owner-b'), { status: LockStatus.Success });
    assert.deepEqual(await clientB.lock.unlock('lockstore', resource, 'owner-b'), { status: LockStatus.LockDoesNotExist });
  });

  it('the other process gets the lock once it expires (SDK)', async () => {
    const resource = `job-${unique()}`;
    assert.deepEqual(await clientA.lock.lock('lockstore', resource, 'owner-a', 1), { success: true });
    assert.deepEqual(await clientB.lock.lock('lockstore', resource, 'owner-b', 60), { success: false });
    await waitFor('the lock to expire', async () => (await clientB.lock.lock('lockstore', resource, 'owner-b', 60)).success, 5000, 50);
    assert.deepEqual(await clientA.lock.unlock('lockstore', resource, 'owner-a'), { status: LockStatus.LockBelongsToOthers });
  });

  it('keeps each app\'s locks apart with the default keyPrefix, stored as lock||<app id>||<resource>', async () => {
    const resource = `cart-${unique()}`;
    assert.deepEqual(await clientA.lock.lock('applocks', resource, 'owner-a', 60), { success: true });
    assert.deepEqual(await clientB.lock.lock('applocks', resource, 'owner-b', 60), { success: true });
    await clientA.lock.lock('lockstore', resource, 'owner-a', 60);
    const db = new Database(join(dir.path, 'locks.db'), { readonly: true });
    try {
      const keys = (table: string): string[] => (db.prepare(`SELECT resource_id FROM ${table} WHERE resource_id LIKE ? ORDER BY resource_id`).all(`%${resource}`) as { resource_id: string }[]).map((row) => row.resource_id);
      assert.deepEqual(keys('app_locks'), [`lock||locker-a||${resource}`, `lock||locker-b||${resource}`]);
      assert.deepEqual(keys('shared_locks'), [`lock||lockstore||${resource}`]);
    } finally {
      db.close();
    }
  });

  it('lock.in-memory is private to its process', async () => {
    const resource = `mem-${unique()}`;
    assert.deepEqual(await clientA.lock.lock('memlock', resource, 'owner', 60), { success: true });
    assert.deepEqual(await clientA.lock.lock('memlock', resource, 'other', 60), { success: false });
    assert.deepEqual(await clientB.lock.lock('memlock', resource, 'other', 60), { success: true });
  });

  it('answers daprd\'s bodies on the wire', async () => {
    const resource = `wire-${unique()}`;
    const lock = (url: string, body: object) => call('POST', url, body, { 'content-type': 'application/json' });
    const taken = await lock(`${first.baseUrl}/v1.0-alpha1/lock/lockstore`, { resourceId: resource, lockOwner: 'o', expiryInSeconds: 30 });
    assert.equal(taken.status, 200);
    assert.match(taken.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(taken.json(), { success: true });
    // A refusal still sends the field: {"success":false}, not {}.
    const refused = await lock(`${second.baseUrl}/v1.0-alpha1/lock/lockstore`, { resource_id: resource, lock_owner: 'p', expiry_in_seconds: '30' });
    assert.deepEqual([refused.status, refused.text], [200, '{"success":false}']);
    const released = await lock(`${first.baseUrl}/v1.0-alpha1/unlock/lockstore`, { resourceId: resource, lockOwner: 'o' });
    assert.deepEqual([released.status, released.json()], [200, { status: 0 }]);
    const missing = await lock(`${first.baseUrl}/v1.0-alpha1/unlock/lockstore`, { resourceId: resource, lockOwner: 'o' });
    assert.deepEqual([missing.status, missing.text], [200, '{"status":1}']);
  });

  it('answers bad requests with daprd\'s codes and messages', async () => {
    const post = (path: string, body?: string | object) => call('POST', `${first.baseUrl}/v1.0-alpha1/${path}`, body, { 'content-type': 'application/json' });
    const cases: [string, string | object | undefined, number, string, string][] = [
      ['lock/nope', { resourceId: 'r', lockOwner: 'o', expiryInSeconds: 5 }, 400, 'ERR_LOCK_STORE_NOT_FOUND', 'lock store nope not found'],
      ['lock/lockstore', { resourceId: '', lockOwner: 'o', expiryInSeconds: 5 }, 400, 'ERR_MALFORMED_REQUEST', 'ResourceId is empty in lock store lockstore'],
      ['lock/lockstore', { resourceId: 'r', expiryInSeconds: 5 }, 400, 'ERR_MALFORMED_REQUEST', 'LockOwner is empty in lock store lockstore'],
      ['lock/lockstore', { resourceId: 'r', lockOwner: 'o', expiryInSeconds: 0 }, 400, 'ERR_MALFORMED_REQUEST', 'ExpiryInSeconds is not positive in lock store lockstore'],
      ['lock/lockstore', { resourceId: 'r', lockOwner: 'o' }, 400, 'ERR_MALFORMED_REQUEST', 'ExpiryInSeconds is not positive in lock store lockstore'],
      ['lock/lockstore', undefined, 400, 'ERR_MALFORMED_REQUEST', 'ExpiryInSeconds is not positive in lock store lockstore'],
      ['lock/lockstore', { resourceId: 'a||b', lockOwner: 'o', expiryInSeconds: 5 }, 500, 'ERR_TRY_LOCK', "failed to try acquiring lock: input key/keyPrefix 'a||b' can't contain '||'"],
      ['unlock/lockstore', { resourceId: 'a||b', lockOwner: 'o' }, 500, 'ERR_UNLOCK', "failed to release lock: input key/keyPrefix 'a||b' can't contain '||'"],
      ['unlock/nope', { resourceId: 'r', lockOwner: 'o' }, 400, 'ERR_LOCK_STORE_NOT_FOUND', 'lock store nope not found'],
      ['unlock/lockstore', { resourceId: 'r' }, 400, 'ERR_MALFORMED_REQUEST', 'LockOwner is empty in lock store lockstore'],
    ];
    for (const [path, body, status, errorCode, message] of cases) {
      const response = await post(path, body);
      assert.equal(response.status, status, `${path} ${JSON.stringify(body)}: ${response.text}`);
      assert.deepEqual(errorOf(response), { errorCode, message }, `${path} ${JSON.stringify(body)}`);
    }
    for (const body of ['{not json', '[1]', '{"resourceId": 5, "lockOwner": "o", "expiryInSeconds": 5}', '{"resourceId": "r", "lockOwner": "o", "expiryInSeconds": 1.5}']) {
      const response = await post('lock/lockstore', body);
      assert.equal(response.status, 400, body);
      assert.equal(errorOf(response).errorCode, 'ERR_MALFORMED_REQUEST', body);
      assert.match(errorOf(response).message, /^failed deserializing HTTP body: /, body);
    }
  });

  it('without lock stores answers 500 ERR_LOCK_STORE_NOT_CONFIGURED, after the expiry check', async () => {
    const response = await call('POST', `${bare.baseUrl}/v1.0-alpha1/unlock/lockstore`, { resourceId: 'r', lockOwner: 'o' });
    assert.equal(response.status, 500);
    assert.deepEqual(errorOf(response), { errorCode: 'ERR_LOCK_STORE_NOT_CONFIGURED', message: 'lock store is not configured' });
    const noExpiry = await call('POST', `${bare.baseUrl}/v1.0-alpha1/lock/lockstore`, { resourceId: 'r', lockOwner: 'o' });
    assert.equal(errorOf(noExpiry).message, 'ExpiryInSeconds is not positive in lock store lockstore', 'daprd checks the expiry first');
  });
});
