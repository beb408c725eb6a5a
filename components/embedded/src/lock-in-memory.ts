import {
  lockKeyPrefixField, lockKeyPrefixStrategy, UnlockStatus,
  type ComponentContext, type LockStore, type MetadataField, type TryLockRequest, type TryLockResponse,
  type UnlockRequest, type UnlockResponse,
} from '@outrigger/components-api';

/** `lock.in-memory` takes no metadata beyond the runtime's `keyPrefix`. */
export const inMemoryLockMetadata: readonly MetadataField[] = [lockKeyPrefixField];

interface Held {
  readonly owner: string;
  readonly expiresAt: number;
}

/** How often expired entries of resources nobody touches again are dropped, so the map cannot grow without bound. */
const sweepIntervalMs = 60_000;

/**
 * `lock.in-memory`: locks held in this process only, so it coordinates callers of one sidecar, not
 * several. Dapr has no such component; it exists for development and tests, like `state.in-memory`.
 * Expiry is checked on every call against the wall clock.
 */
export class InMemoryLockStore implements LockStore {
  private readonly locks = new Map<string, Held>();
  private sweeper: NodeJS.Timeout | undefined;

  async init(context: ComponentContext): Promise<void> {
    lockKeyPrefixStrategy(context.metadata);
    this.sweeper = setInterval(() => this.sweep(Date.now()), sweepIntervalMs);
    this.sweeper.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.locks.clear();
  }

  async tryLock(request: TryLockRequest): Promise<TryLockResponse> {
    const now = Date.now();
    if (this.live(request.resourceId, now)) return { success: false };
    this.locks.set(request.resourceId, { owner: request.lockOwner, expiresAt: now + request.expiryInSeconds * 1000 });
    return { success: true };
  }

  async unlock(request: UnlockRequest): Promise<UnlockResponse> {
    const held = this.live(request.resourceId, Date.now());
    if (!held) return { status: UnlockStatus.lockDoesNotExist };
    if (held.owner !== request.lockOwner) return { status: UnlockStatus.lockBelongsToOthers };
    this.locks.delete(request.resourceId);
    return { status: UnlockStatus.success };
  }

  /** The unexpired lock of a resource; an expired one is dropped on the way. */
  private live(resourceId: string, now: number): Held | undefined {
    const held = this.locks.get(resourceId);
    if (held && held.expiresAt <= now) {
      this.locks.delete(resourceId);
      return undefined;
    }
    return held;
  }

  private sweep(now: number): void {
    for (const [resourceId, held] of this.locks) if (held.expiresAt <= now) this.locks.delete(resourceId);
  }
}
