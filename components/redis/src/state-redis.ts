import type { Redis } from 'ioredis';
import {
  EtagInvalidError, EtagMismatchError, expiryFromMetadata, InvalidStateRequestError, MetadataError, metadataValue, ttlResponseMetadata,
  type ComponentContext, type DeleteRequest, type GetRequest, type MetadataField, type SetRequest, type StateFeature,
  type StoredState, type TransactionalStateStore, type TransactionOperation,
} from '@outrigger/components-api';
import { errorMessage } from '@outrigger/kit';
import { closeRedis, connectedReplicas, connectRedis } from './connection.js';
import { field, parseConnectionSettings, redisConnectionMetadata } from './settings.js';
import { applyScript, getScript } from './state-scripts.js';

/** `state.redis` metadata: the connection fields plus the state-only ones. */
export const redisStateMetadata: readonly MetadataField[] = [
  ...redisConnectionMetadata,
  { name: 'ttlInSeconds', kind: 'integer', description: 'Default TTL of every item saved without a `ttlInSeconds` of its own; `0` or `-1`: none.' },
  { name: 'queryIndexes', description: 'RediSearch index schemas for the query API (needs the RediSearch and RedisJSON modules): not supported yet, refused at init when set.' },
];

type ScriptRunner = (...args: (string | Buffer | number)[]) => Promise<unknown>;

interface Open {
  readonly client: Redis;
  /** The apply script: number of keys, the keys, then five arguments per operation. */
  readonly apply: ScriptRunner;
  /** The get script: the key. */
  readonly get: ScriptRunner;
  readonly defaultTtlSeconds: number | undefined;
  readonly replicas: number;
}

/** A validated operation, ready to become five script arguments. */
interface Prepared {
  readonly key: string;
  readonly kind: 'u' | 'd';
  readonly etag: string;
  readonly data: Uint8Array;
  readonly firstWrite: boolean;
  readonly ttlSeconds: number;
  readonly strong: boolean;
}

/**
 * `state.redis`: Dapr's Redis state store, with Dapr's hash layout (see state-scripts.ts), so data
 * written by daprd is read here and the other way round. Writes, single or transactional, run as one
 * Lua script that checks every ETag before it writes anything: all or nothing, unlike Dapr's MULTI
 * pipeline, which applies the operations before a failed check.
 */
export class RedisStateStore implements TransactionalStateStore {
  private open: Open | undefined;
  private readonly closing = new AbortController();

  async init(context: ComponentContext): Promise<void> {
    const settings = parseConnectionSettings(context.metadata, redisStateMetadata, 'state');
    if (field(context.metadata, redisStateMetadata, 'queryIndexes') !== undefined) {
      throw new MetadataError('queryIndexes', 'the Redis query API (RediSearch) is not supported yet');
    }
    const rawTtl = field(context.metadata, redisStateMetadata, 'ttlInSeconds');
    const defaultTtl = rawTtl === undefined ? undefined : Number(rawTtl);
    const client = await connectRedis(settings, { purpose: 'redis store', logger: context.logger, signal: this.closing.signal });
    client.defineCommand('outriggerStateApply', { lua: applyScript });
    client.defineCommand('outriggerStateGet', { lua: getScript, numberOfKeys: 1 });
    // defineCommand adds these methods (and their *Buffer variants, which answer Buffers) at run time.
    const commands = client as unknown as Record<string, ScriptRunner>;
    const bind = (name: string): ScriptRunner => (commands[name] as ScriptRunner).bind(client);
    this.open = {
      client,
      apply: bind('outriggerStateApplyBuffer'),
      get: bind('outriggerStateGetBuffer'),
      defaultTtlSeconds: defaultTtl !== undefined && defaultTtl > 0 ? defaultTtl : undefined,
      replicas: await connectedReplicas(client),
    };
  }

  async close(): Promise<void> {
    this.closing.abort();
    const open = this.open;
    this.open = undefined;
    await closeRedis(open?.client);
  }

  features(): readonly StateFeature[] {
    return ['ETAG', 'TRANSACTIONAL', 'TTL'];
  }

  async get(request: GetRequest): Promise<StoredState | undefined> {
    const open = this.opened();
    const reply = await open.get(request.key) as [Buffer, Buffer, number] | null;
    if (!reply) return undefined;
    const [data, version, pttl] = reply;
    const metadata = ttlResponseMetadata(pttl > 0 ? Date.now() + pttl : undefined);
    return { value: new Uint8Array(data), etag: version.toString('utf8'), ...(metadata ? { metadata } : {}) };
  }

  async set(request: SetRequest): Promise<void> {
    await this.apply([{ operation: 'upsert', request }]);
  }

  async delete(request: DeleteRequest): Promise<void> {
    await this.apply([{ operation: 'delete', request }]);
  }

  async transact(operations: readonly TransactionOperation[], _metadata?: Readonly<Record<string, string>>): Promise<void> {
    if (operations.length > 0) await this.apply(operations);
  }

  private async apply(operations: readonly TransactionOperation[]): Promise<void> {
    const open = this.opened();
    const prepared = operations.map((operation) => prepare(operation, open.defaultTtlSeconds));
    const args: (string | Buffer | number)[] = [prepared.length, ...prepared.map((op) => op.key)];
    for (const op of prepared) args.push(op.kind, op.etag, Buffer.from(op.data.buffer, op.data.byteOffset, op.data.byteLength), op.firstWrite ? '1' : '0', String(op.ttlSeconds));
    try {
      await open.apply(...args);
    } catch (error) {
      const mismatch = /ETAG_MISMATCH (\d+)/.exec(errorMessage(error));
      if (!mismatch) throw error;
      const failed = prepared[Number(mismatch[1])];
      throw new EtagMismatchError(failed?.etag
        ? `possible etag mismatch. error from state store: etag ${failed.etag} does not match the stored version of key ${failed.key}`
        : `possible etag mismatch. error from state store: key ${failed?.key ?? ''} already exists (first-write)`);
    }
    if (open.replicas > 0 && prepared.some((op) => op.strong)) {
      // Dapr's strong consistency: wait (up to 1 s) until the replicas have the write.
      await open.client.wait(open.replicas, 1000);
    }
  }

  private opened(): Open {
    if (!this.open) throw new Error('redis state store is not initialised');
    return this.open;
  }
}

/** Validates one operation before anything is sent: options, ETag format and TTL. */
function prepare(operation: TransactionOperation, defaultTtlSeconds: number | undefined): Prepared {
  const { request } = operation;
  checkOptions(request.options);
  const etag = normaliseEtag(request.etag);
  const strong = request.options?.consistency === 'strong';
  if (operation.operation === 'delete') {
    return { key: request.key, kind: 'd', etag, data: new Uint8Array(0), firstWrite: false, ttlSeconds: 0, strong };
  }
  // The runtime may hand over operation names straight from a request body.
  if (operation.operation !== 'upsert') throw new InvalidStateRequestError(`operation type ${String((operation as { operation: unknown }).operation)} not supported`);
  const now = Date.now();
  const expiresAt = expiryFromMetadata(operation.request.metadata, now);
  // An explicit 0 or -1 removes any expiry; no ttlInSeconds at all takes the component's default.
  const explicit = operation.request.metadata !== undefined && (metadataValue(operation.request.metadata, 'ttlInSeconds') ?? '') !== '';
  const ttlSeconds = expiresAt !== undefined ? Math.round((expiresAt - now) / 1000) : explicit ? 0 : defaultTtlSeconds ?? 0;
  return {
    key: request.key, kind: 'u', etag, data: operation.request.value,
    firstWrite: request.options?.concurrency === 'first-write', ttlSeconds, strong,
  };
}

/**
 * Dapr's Redis ETags are versions parsed with Go's `strconv.Atoi`, so `+7` and `007` name version 7.
 * @returns the canonical version text, or "" for no ETag. @throws EtagInvalidError for anything else.
 */
function normaliseEtag(etag: string | undefined): string {
  if (etag === undefined || etag === '') return '';
  if (!/^[+-]?\d{1,18}$/.test(etag)) throw new EtagInvalidError(etag);
  return BigInt(etag).toString();
}

/** Rejects option values Dapr does not know, as Dapr's `CheckRequestOptions` does. */
function checkOptions(options: SetRequest['options']): void {
  const concurrency: unknown = options?.concurrency;
  const consistency: unknown = options?.consistency;
  if (concurrency !== undefined && concurrency !== '' && concurrency !== 'first-write' && concurrency !== 'last-write') {
    throw new InvalidStateRequestError(`unrecognized concurrency model '${String(concurrency)}'`);
  }
  if (consistency !== undefined && consistency !== '' && consistency !== 'strong' && consistency !== 'eventual') {
    throw new InvalidStateRequestError(`unrecognized consistency model '${String(consistency)}'`);
  }
}
