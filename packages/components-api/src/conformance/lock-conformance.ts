import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@outrigger/kit';
import { UnlockStatus, type LockStore } from '../lock.js';

export interface LockConformanceOptions {
  /** Shown in the suite title, e.g. `lock.sqlite`. */
  readonly name: string;
  /** Makes an initialised store; called once, in `before`. The suite closes it in `after`. */
  readonly create: () => Promise<LockStore>;
  /**
   * Makes a second, independent client of the same backend (another connection), for stores shared
   * between processes; omit for process-local stores. The suite closes it in `after`.
   */
  readonly createPeer?: () => Promise<LockStore>;
}

/**
 * Declares the lock store conformance tests with node:test: exclusive ownership, the unlock statuses,
 * expiry, and one winner among concurrent callers. Every test uses its own random resource ids, so a
 * backend can be shared with other runs. Call it at the top level of a `*.test.ts` file.
 */
export function runLockConformance(options: LockConformanceOptions): void {
  const run = randomUUID().slice(0, 8);
  const resource = (label: string): string => `lock||conformance-${run}||${label}-${randomUUID().slice(0, 8)}`;
  let store: LockStore | undefined;
  let peer: LockStore | undefined;
  const opened = (): LockStore => {
    if (!store) throw new Error('conformance: the lock store was not created; did create() fail?');
    return store;
  };

  describe(`lock conformance: ${options.name}`, () => {
    before(async () => {
      store = await options.create();
      peer = await options.createPeer?.();
    });
    after(async () => {
      await Promise.all([store?.close(), peer?.close()]);
      store = undefined;
      peer = undefined;
    });

    it('takes a free lock', async () => {
      assert.deepEqual(await opened().tryLock({ resourceId: resource('free'), lockOwner: 'a', expiryInSeconds: 60 }), { success: true });
    });

    it('refuses a held lock to another owner and to the holder itself', async () => {
      const resourceId = resource('held');
      assert.equal((await opened().tryLock({ resourceId, lockOwner: 'a', expiryInSeconds: 60 })).success, true);
      assert.equal((await opened().tryLock({ resourceId, lockOwner: 'b', expiryInSeconds: 60 })).success, false, 'another owner');
      assert.equal((await opened().tryLock({ resourceId, lockOwner: 'a', expiryInSeconds: 60 })).success, false, 'not reentrant');
    });

    it('keeps resources independent', async () => {
      const first = resource('one');
      const second = resource('two');
      assert.equal((await opened().tryLock({ resourceId: first, lockOwner: 'a', expiryInSeconds: 60 })).success, true);
      assert.equal((await opened().tryLock({ resourceId: second, lockOwner: 'b', expiryInSeconds: 60 })).success, true);
    });

    it('unlock by the owner answers 0 and frees the lock', async () => {
      const resourceId = resource('release');
      await opened().tryLock({ resourceId, lockOwner: 'a', expiryInSeconds: 60 });
      assert.deepEqual(await opened().unlock({ resourceId, lockOwner: 'a' }), { status: UnlockStatus.success });
      assert.equal((await opened().tryLock({ resourceId, lockOwner: 'b', expiryInSeconds: 60 })).success, true);
    });

    it('unlock of a lock that does not exist answers 1', async () => {
      const resourceId = resource('missing');
      assert.deepEqual(await opened().unlock({ resourceId, lockOwner: 'a' }), { status: UnlockStatus.lockDoesNotExist });
      await opened().tryLock({ resourceId, lockOwner: 'a', expiryInSeconds: 60 });
      await opened().unlock({ resourceId, lockOwner: 'a' });
      assert.deepEqual(await opened().unlock({ resourceId, lockOwner: 'a' }), { status: UnlockStatus.lockDoesNotExist }, 'a second unlock');
    });

    it('unlock by another owner answers 2 and leaves the lock held', async () => {
      const resourceId = resource('others');
      await opened().tryLock({ resourceId, lockOwner: 'a', expiryInSeconds: 60 });
      assert.deepEqual(await opened().unlock({ resourceId, lockOwner: 'b' }), { status: UnlockStatus.lockBelongsToOthers });
      assert.equal((await opened().tryLock({ resourceId, lockOwner: 'b', expiryInSeconds: 60 })).success, false);
      assert.deepEqual(await opened().unlock({ resourceId, lockOwner: 'a' }), { status: UnlockStatus.success });
    });

    it('releases a lock when it expires; unlock of the expired lock answers 1', async () => {
      // `earlier` is taken first, so it expires no later than `resourceId`.
      const earlier = resource('expiry-earlier');
      const resourceId = resource('expiry');
      assert.equal((await opened().tryLock({ resourceId: earlier, lockOwner: 'a', expiryInSeconds: 1 })).success, true);
      assert.equal((await opened().tryLock({ resourceId, lockOwner: 'a', expiryInSeconds: 1 })).success, true);
      assert.equal((await opened().tryLock({ resourceId, lockOwner: 'b', expiryInSeconds: 60 })).success, false, 'held before expiry');
      // Polls rather than sleeping: passes as soon as the lock has expired, fails after 5 s.
      await waitFor('the lock to expire', async () => (await opened().tryLock({ resourceId, lockOwner: 'b', expiryInSeconds: 60 })).success, 5000, 50);
      assert.deepEqual(await opened().unlock({ resourceId: earlier, lockOwner: 'a' }), { status: UnlockStatus.lockDoesNotExist });
      assert.deepEqual(await opened().unlock({ resourceId, lockOwner: 'a' }), { status: UnlockStatus.lockBelongsToOthers }, 'now held by b');
    });

    it('gives the lock to exactly one of many concurrent callers', async () => {
      const resourceId = resource('race');
      const clients = peer ? [opened(), peer] : [opened()];
      const attempts = Array.from({ length: 20 }, (_, index) =>
        (clients[index % clients.length] as LockStore).tryLock({ resourceId, lockOwner: `owner-${index}`, expiryInSeconds: 60 }));
      const winners = (await Promise.all(attempts)).filter((response) => response.success);
      assert.equal(winners.length, 1);
    });

    it('a second client of the same backend sees the lock', async (context) => {
      if (!peer) {
        context.skip('no createPeer: a process-local store');
        return;
      }
      const resourceId = resource('peer');
      assert.equal((await opened().tryLock({ resourceId, lockOwner: 'a', expiryInSeconds: 60 })).success, true);
      assert.equal((await peer.tryLock({ resourceId, lockOwner: 'b', expiryInSeconds: 60 })).success, false);
      assert.deepEqual(await peer.unlock({ resourceId, lockOwner: 'b' }), { status: UnlockStatus.lockBelongsToOthers });
      assert.deepEqual(await peer.unlock({ resourceId, lockOwner: 'a' }), { status: UnlockStatus.success });
      assert.equal((await opened().tryLock({ resourceId, lockOwner: 'b', expiryInSeconds: 60 })).success, true);
    });
  });
}
