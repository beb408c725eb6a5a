import type { Redis } from 'ioredis';
import type { BindingInvokeRequest, BindingInvokeResponse, ComponentContext, MetadataField, OutputBinding } from '@outrigger/components-api';
import { metadataValue } from '@outrigger/components-api';
import { parseDuration } from '@outrigger/kit';
import { closeRedis, connectRedis } from './connection.js';
import { parseConnectionSettings, redisConnectionMetadata } from './settings.js';

/** `bindings.redis` metadata: the connection fields only. */
export const redisBindingMetadata: readonly MetadataField[] = redisConnectionMetadata;

const OPERATIONS = ['create', 'delete', 'get', 'increment'] as const;

/**
 * `bindings.redis`: Dapr's Redis output binding. Every operation names its key in the request
 * metadata `key`: `create` SETs the data (the bytes daprd hands over, so a JSON string keeps its
 * quotes), `get` answers the value (no content when missing; with `delete: "true"` it is GETDEL),
 * `delete` DELs, `increment` INCRs. `create` and `increment` take `ttlInSeconds` (a Go duration or
 * whole seconds above zero) and set it with EXPIRE.
 */
export class RedisBinding implements OutputBinding {
  private client: Redis | undefined;
  private readonly closing = new AbortController();

  async init(context: ComponentContext): Promise<void> {
    const settings = parseConnectionSettings(context.metadata, redisBindingMetadata, 'bindings');
    this.client = await connectRedis(settings, { purpose: 'redis binding', logger: context.logger, signal: this.closing.signal });
  }

  operations(): readonly string[] {
    return OPERATIONS;
  }

  async invoke(request: BindingInvokeRequest): Promise<BindingInvokeResponse | undefined> {
    const client = this.opened();
    const key = metadataValue(request.metadata, 'key');
    if (key === undefined || key === '') throw new Error('redis binding: missing key in request metadata');
    switch (request.operation) {
      case 'delete':
        await client.del(key);
        return undefined;
      case 'get': {
        const value = metadataValue(request.metadata, 'delete') === 'true' ? await client.getdelBuffer(key) : await client.getBuffer(key);
        return value === null ? {} : { data: new Uint8Array(value) };
      }
      case 'create': {
        const ttl = ttlSeconds(request.metadata);
        await client.set(key, Buffer.from(request.data.buffer, request.data.byteOffset, request.data.byteLength));
        if (ttl !== undefined) await client.expire(key, ttl);
        return undefined;
      }
      case 'increment': {
        const ttl = ttlSeconds(request.metadata);
        await client.incr(key);
        if (ttl !== undefined) await client.expire(key, ttl);
        return undefined;
      }
      default:
        throw new Error(`invalid operation type: ${request.operation}`);
    }
  }

  async close(): Promise<void> {
    this.closing.abort();
    const client = this.client;
    this.client = undefined;
    await closeRedis(client);
  }

  private opened(): Redis {
    if (!this.client) throw new Error('redis binding is not initialised');
    return this.client;
  }
}

/**
 * Dapr's `TryGetTTL`: `ttlInSeconds` as a Go duration ("90s", a negative one counts as 0) or whole
 * seconds above zero; checked before anything is written. @returns whole seconds, or undefined for none.
 */
function ttlSeconds(metadata: Readonly<Record<string, string>>): number | undefined {
  const raw = metadataValue(metadata, 'ttlInSeconds')?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (/^[+-]?\d+$/.test(raw)) {
    if (Number(raw) <= 0) throw new Error(`ttlInSeconds value must be higher than zero: actual is '${Number(raw)}'`);
    return Number(raw);
  }
  let ms: number;
  try {
    ms = parseDuration(raw.replace(/^-/, ''));
  } catch {
    throw new Error(`ttlInSeconds value must be a valid integer: actual is '${raw}'`);
  }
  return raw.startsWith('-') ? 0 : Math.trunc(ms / 1000);
}
