import { daprError, errorMessage } from '@outrigger/kit';
import { lockKeyPrefixStrategy, type LockStore, type UnlockStatus } from '@outrigger/components-api';
import type { ComponentHost } from '../../components/component-host.js';
import { lockStoredKey } from './lock-key.js';

/** A lock request as it arrives on any transport, before validation. */
export interface LockRequest {
  readonly storeName: string;
  readonly resourceId: string;
  readonly lockOwner: string;
}

export interface TryLockInput extends LockRequest {
  readonly expiryInSeconds: number;
}

/**
 * The distributed lock building block (alpha1), shared by the HTTP and gRPC APIs: request checks in
 * daprd's order, store lookup, the `lock||` key scheme, and store errors mapped onto Dapr's codes.
 */
export class LockApi {
  constructor(private readonly host: ComponentHost, private readonly appId: string) {}

  async tryLock(input: TryLockInput): Promise<{ success: boolean }> {
    // daprd checks the expiry before anything else, even before looking for lock stores.
    if (!(input.expiryInSeconds > 0)) throw daprError('lockExpiryNotPositive', input.storeName);
    const { store, strategy } = this.resolve(input);
    let resourceId: string;
    try {
      resourceId = lockStoredKey(input.resourceId, strategy, input.storeName, this.appId);
    } catch (error) {
      throw daprError('lockTry', errorMessage(error));
    }
    try {
      const response = await store.tryLock({ resourceId, lockOwner: input.lockOwner, expiryInSeconds: input.expiryInSeconds });
      return { success: response.success };
    } catch (error) {
      throw daprError('lockTry', errorMessage(error));
    }
  }

  async unlock(input: LockRequest): Promise<{ status: UnlockStatus }> {
    const { store, strategy } = this.resolve(input);
    let resourceId: string;
    try {
      resourceId = lockStoredKey(input.resourceId, strategy, input.storeName, this.appId);
    } catch (error) {
      throw daprError('lockUnlock', errorMessage(error));
    }
    try {
      return { status: (await store.unlock({ resourceId, lockOwner: input.lockOwner })).status };
    } catch (error) {
      throw daprError('lockUnlock', errorMessage(error));
    }
  }

  /** @throws DaprError in daprd's order: no stores, empty resource id, empty owner, unknown store. */
  private resolve(input: LockRequest): { store: LockStore; strategy: string } {
    const stores = this.host.ofBlock('lock');
    if (stores.length === 0) throw daprError('lockStoreNotConfigured');
    if (input.resourceId === '') throw daprError('lockResourceIdEmpty', input.storeName);
    if (input.lockOwner === '') throw daprError('lockOwnerEmpty', input.storeName);
    const component = stores.find((candidate) => candidate.name === input.storeName);
    if (!component) throw daprError('lockStoreNotFound', input.storeName);
    // Components refuse a bad keyPrefix at init already; this cannot throw for a loaded component.
    return { store: component.instance as LockStore, strategy: lockKeyPrefixStrategy(component.metadata) };
  }
}
