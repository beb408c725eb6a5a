import type { Redis } from 'ioredis';
import {
  lockKeyPrefixField, lockKeyPrefixStrategy, MetadataError, UnlockStatus,
  type ComponentContext, type LockStore, type MetadataField, type TryLockRequest, type TryLockResponse,
  type UnlockRequest, type UnlockResponse,
} from '@outrigger/components-api';
import { closeRedis, connectedReplicas, connectRedis } from './connection.js';
import { parseConnectionSettings, redisConnectionMetadata } from './settings.js';

/** `lock.redis` metadata: the connection fields plus the runtime's `keyPrefix`. */
export const redisLockMetadata: readonly MetadataField[] = [...redisConnectionMetadata, lockKeyPrefixField];

/** Deletes the key only when its value is the caller's owner: -1 missing, -2 held by another, else the DEL count. */
const unlockScript = `
local owner = redis.call("GET", KEYS[1])
if owner == false then return -1 end
if owner ~= ARGV[1] then return -2 end
return redis.call("DEL", KEYS[1])
`;

type UnlockRunner = (key: string, owner: string) => Promise<number>;

/**
 * `lock.redis`: Dapr's standalone Redis lock. A lock is the key `resourceId` holding the owner, taken
 * with `SET NX PX` (so it expires on its own) and released by a script that deletes it only for its owner.
 * As in Dapr, a server with replicas is refused (a lock taken on the master could be lost on failover)
 * unless `failover` (Sentinel) is on.
 */
export class RedisLockStore implements LockStore {
  private client: Redis | undefined;
  private unlockRunner: UnlockRunner | undefined;
  private readonly closing = new AbortController();

  async init(context: ComponentContext): Promise<void> {
    const settings = parseConnectionSettings(context.metadata, redisLockMetadata, 'lock');
    lockKeyPrefixStrategy(context.metadata);
    const client = await connectRedis(settings, { purpose: 'redis lock', logger: context.logger, signal: this.closing.signal });
    this.client = client;
    if (settings.sentinelMasterName === undefined && await connectedReplicas(client) > 0) {
      throw new MetadataError('redisHost', 'replication is not supported');
    }
    client.defineCommand('outriggerUnlock', { lua: unlockScript, numberOfKeys: 1 });
    const runner = (client as unknown as Record<string, UnlockRunner>).outriggerUnlock as UnlockRunner;
    this.unlockRunner = runner.bind(client);
  }

  async tryLock(request: TryLockRequest): Promise<TryLockResponse> {
    const reply = await this.opened().set(request.resourceId, request.lockOwner, 'PX', request.expiryInSeconds * 1000, 'NX');
    return { success: reply === 'OK' };
  }

  async unlock(request: UnlockRequest): Promise<UnlockResponse> {
    this.opened();
    const result = Number(await (this.unlockRunner as UnlockRunner)(request.resourceId, request.lockOwner));
    if (result >= 0) return { status: UnlockStatus.success };
    if (result === -1) return { status: UnlockStatus.lockDoesNotExist };
    if (result === -2) return { status: UnlockStatus.lockBelongsToOthers };
    return { status: UnlockStatus.internalError };
  }

  async close(): Promise<void> {
    this.closing.abort();
    const client = this.client;
    this.client = undefined;
    await closeRedis(client);
  }

  private opened(): Redis {
    if (!this.client || !this.unlockRunner) throw new Error('redis lock store is not initialised');
    return this.client;
  }
}
