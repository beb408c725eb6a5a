// Dapr distributed lock API (alpha1) over gRPC: TryLockAlpha1 and UnlockAlpha1.
import type { LockApi } from '../../blocks/lock/lock-api.js';
import type { DaprMethods } from './dapr-service.js';

/** The lock block's gRPC methods over the same {@link LockApi} as the HTTP routes; unlock statuses share their numbers. */
export function lockMethods(lock: LockApi): DaprMethods {
  return {
    async tryLockAlpha1(request) {
      return lock.tryLock({ storeName: request.storeName, resourceId: request.resourceId, lockOwner: request.lockOwner, expiryInSeconds: request.expiryInSeconds });
    },
    async unlockAlpha1(request) {
      return lock.unlock({ storeName: request.storeName, resourceId: request.resourceId, lockOwner: request.lockOwner });
    },
  };
}
