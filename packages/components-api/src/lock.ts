import type { Component, MetadataField } from './component.js';
import { MetadataError, metadataValue } from './metadata.js';

/** A request to take a lock. `resourceId` is the full stored key, prefix included (`lock||app||res`). */
export interface TryLockRequest {
  readonly resourceId: string;
  readonly lockOwner: string;
  /** Positive; the lock is released by the store this many seconds after it is taken. */
  readonly expiryInSeconds: number;
}

export interface TryLockResponse {
  /** False when the resource is held (by any owner, the same one included) and has not expired. */
  readonly success: boolean;
}

export interface UnlockRequest {
  readonly resourceId: string;
  readonly lockOwner: string;
}

/** Dapr's unlock outcomes; the numbers are what the HTTP API sends. */
export const UnlockStatus = {
  success: 0,
  lockDoesNotExist: 1,
  lockBelongsToOthers: 2,
  internalError: 3,
} as const;

export type UnlockStatus = (typeof UnlockStatus)[keyof typeof UnlockStatus];

export interface UnlockResponse {
  readonly status: UnlockStatus;
}

/**
 * The contract of every lock store (Dapr's `lock.Store`). Locks are not reentrant: a second
 * `tryLock` by the holder fails too, as with Dapr's Redis store. An expired lock counts as absent.
 */
export interface LockStore extends Component {
  /** @throws only when the store cannot answer; a held lock is `{ success: false }`, not an error. */
  tryLock(request: TryLockRequest): Promise<TryLockResponse>;
  /** @throws only when the store cannot answer; the outcome is in `status`. */
  unlock(request: UnlockRequest): Promise<UnlockResponse>;
}

const separator = '||';

/**
 * The `keyPrefix` metadata every lock component accepts; the runtime applies it (Dapr's
 * `pkg/components/lock/lock_config.go`): `appid` (default) → `lock||app||res`, `name` → `lock||store||res`,
 * `none` → `lock||res`, anything else → `lock||<value, lower-cased>||res`.
 */
export const lockKeyPrefixField: MetadataField = {
  name: 'keyPrefix',
  default: 'appid',
  description: 'Prefix of stored lock keys: `appid` (default), `name` (the component name), `none`, or any other text used as is (lower-cased). Must not contain `||`.',
};

/**
 * The lower-cased `keyPrefix` strategy of a lock component. Dapr checks it when the component loads,
 * so lock components call this from `init`.
 * @throws MetadataError when it contains `||`.
 */
export function lockKeyPrefixStrategy(metadata: Readonly<Record<string, string>>): string {
  const strategy = (metadataValue(metadata, 'keyPrefix') || 'appid').toLowerCase();
  if (strategy.includes(separator)) throw new MetadataError('keyPrefix', `input key/keyPrefix '${strategy}' can't contain '${separator}'`);
  return strategy;
}
