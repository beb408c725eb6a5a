import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DaprError } from '@outrigger/kit';
import type { LockStore, TryLockRequest, UnlockRequest } from '@outrigger/components-api';
import type { ComponentHost, LoadedComponent } from '../../components/component-host.js';
import { LockApi } from './lock-api.js';
import { lockStoredKey } from './lock-key.js';

/** A store that records the keys it is given and answers from a set. */
function recordingStore(failWith?: Error): LockStore & { keys: string[] } {
  const held = new Set<string>();
  const keys: string[] = [];
  return {
    keys,
    init: async () => undefined,
    close: async () => undefined,
    tryLock: async (request: TryLockRequest) => {
      if (failWith) throw failWith;
      keys.push(request.resourceId);
      if (held.has(request.resourceId)) return { success: false };
      held.add(request.resourceId);
      return { success: true };
    },
    unlock: async (request: UnlockRequest) => {
      if (failWith) throw failWith;
      keys.push(request.resourceId);
      return { status: held.delete(request.resourceId) ? 0 : 1 };
    },
  };
}

function hostWith(components: { name: string; store: LockStore; metadata?: Record<string, string> }[]): ComponentHost {
  const loaded = components.map(({ name, store, metadata }) => ({ name, instance: store, metadata: metadata ?? {} }) as unknown as LoadedComponent);
  return { ofBlock: (block: string) => (block === 'lock' ? loaded : []) } as unknown as ComponentHost;
}

async function daprErrorOf(promise: Promise<unknown>): Promise<{ code: string; status: number; message: string }> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  assert.ok(error instanceof DaprError, `expected a DaprError, got ${String(error)}`);
  return { code: error.errorCode, status: error.httpStatus, message: error.message };
}

describe('LockApi', () => {
  it('checks requests in daprd\'s order, with daprd\'s codes and messages', async () => {
    const none = new LockApi(hostWith([]), 'app');
    assert.deepEqual(await daprErrorOf(none.tryLock({ storeName: 's', resourceId: '', lockOwner: '', expiryInSeconds: 0 })),
      { code: 'ERR_MALFORMED_REQUEST', status: 400, message: 'ExpiryInSeconds is not positive in lock store s' }, 'expiry comes first');
    assert.deepEqual(await daprErrorOf(none.unlock({ storeName: 's', resourceId: '', lockOwner: '' })),
      { code: 'ERR_LOCK_STORE_NOT_CONFIGURED', status: 500, message: 'lock store is not configured' });
    const api = new LockApi(hostWith([{ name: 'locks', store: recordingStore() }]), 'app');
    assert.deepEqual(await daprErrorOf(api.tryLock({ storeName: 'other', resourceId: '', lockOwner: 'o', expiryInSeconds: 5 })),
      { code: 'ERR_MALFORMED_REQUEST', status: 400, message: 'ResourceId is empty in lock store other' }, 'empty id before unknown store');
    assert.deepEqual(await daprErrorOf(api.unlock({ storeName: 'other', resourceId: 'r', lockOwner: '' })),
      { code: 'ERR_MALFORMED_REQUEST', status: 400, message: 'LockOwner is empty in lock store other' });
    assert.deepEqual(await daprErrorOf(api.tryLock({ storeName: 'other', resourceId: 'r', lockOwner: 'o', expiryInSeconds: 5 })),
      { code: 'ERR_LOCK_STORE_NOT_FOUND', status: 400, message: 'lock store other not found' });
    assert.deepEqual(await daprErrorOf(api.tryLock({ storeName: 'locks', resourceId: 'a||b', lockOwner: 'o', expiryInSeconds: 5 })),
      { code: 'ERR_TRY_LOCK', status: 500, message: 'failed to try acquiring lock: input key/keyPrefix \'a||b\' can\'t contain \'||\'' });
    assert.equal((await daprErrorOf(api.unlock({ storeName: 'locks', resourceId: 'a||b', lockOwner: 'o' }))).code, 'ERR_UNLOCK');
  });

  it('maps store failures onto ERR_TRY_LOCK and ERR_UNLOCK', async () => {
    const api = new LockApi(hostWith([{ name: 'locks', store: recordingStore(new Error('disk on fire')) }]), 'app');
    assert.deepEqual(await daprErrorOf(api.tryLock({ storeName: 'locks', resourceId: 'r', lockOwner: 'o', expiryInSeconds: 5 })),
      { code: 'ERR_TRY_LOCK', status: 500, message: 'failed to try acquiring lock: disk on fire' });
    assert.deepEqual(await daprErrorOf(api.unlock({ storeName: 'locks', resourceId: 'r', lockOwner: 'o' })),
      { code: 'ERR_UNLOCK', status: 500, message: 'failed to release lock: disk on fire' });
  });

  it('hands the store keys in the lock||<prefix>||resource scheme of the store\'s keyPrefix', async () => {
    const plain = recordingStore();
    const named = recordingStore();
    const api = new LockApi(hostWith([{ name: 'plain', store: plain }, { name: 'named', store: named, metadata: { KeyPrefix: 'Name' } }]), 'shop');
    assert.deepEqual(await api.tryLock({ storeName: 'plain', resourceId: 'order-1', lockOwner: 'o', expiryInSeconds: 5 }), { success: true });
    assert.deepEqual(await api.unlock({ storeName: 'plain', resourceId: 'order-1', lockOwner: 'o' }), { status: 0 });
    await api.tryLock({ storeName: 'named', resourceId: 'order-1', lockOwner: 'o', expiryInSeconds: 5 });
    assert.deepEqual(plain.keys, ['lock||shop||order-1', 'lock||shop||order-1']);
    assert.deepEqual(named.keys, ['lock||named||order-1']);
  });
});

it('lockStoredKey follows each of daprd\'s strategies', () => {
  assert.equal(lockStoredKey('r', 'appid', 'store', 'app'), 'lock||app||r');
  assert.equal(lockStoredKey('r', 'appid', 'store', ''), 'lock||r');
  assert.equal(lockStoredKey('r', 'name', 'store', 'app'), 'lock||store||r');
  assert.equal(lockStoredKey('r', 'none', 'store', 'app'), 'lock||r');
  // Not a strategy for locks: a literal prefix, as in daprd.
  assert.equal(lockStoredKey('r', 'namespace', 'store', 'app'), 'lock||namespace||r');
  assert.equal(lockStoredKey('r', 'custom', 'store', 'app'), 'lock||custom||r');
});
