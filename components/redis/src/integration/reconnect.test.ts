// The components against a private redis-server that is killed and started again on the same port and
// data dir: every kind of connection (commands, stream readers, keyspace subscriptions) comes back by itself.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { ConfigurationUpdate, PubSubMessage } from '@outrigger/components-api';
import { waitFor } from '@outrigger/kit';
import { RedisConfigurationStore, RedisLockStore, RedisPubSub } from '../index.js';
import { redisContext } from '../testing/redis-test-env.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('Redis components reconnect after a server restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'outrigger-redis-restart-'));
  let port = 0;
  let server: ChildProcess | undefined;
  const cleanups: (() => Promise<void>)[] = [];

  async function startServer(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes',
      '--appendfsync', 'always', '--dir', dir], { stdio: 'ignore' });
    server = child;
    const probe = new Redis({ port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined);
    try {
      await waitFor('redis-server', async () => {
        if (child.exitCode !== null) throw new Error('redis-server exited');
        try {
          if (probe.status !== 'ready') await probe.connect();
          return (await probe.ping()) === 'PONG';
        } catch {
          probe.disconnect();
          return false;
        }
      }, 15_000, 50);
    } finally {
      probe.disconnect();
    }
  }

  async function killServer(): Promise<void> {
    const child = server;
    server = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  before(async () => {
    port = await freePort();
    await startServer();
  });

  after(async () => {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    await killServer();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps subscriptions and stores working across a kill and restart', async () => {
    const metadata = { redisHost: `127.0.0.1:${port}`, processingTimeout: '1s', redeliverInterval: '200ms', redisMinRetryInterval: '50ms', redisMaxRetryInterval: '200ms' };
    const pubsub = new RedisPubSub();
    await pubsub.init(redisContext(metadata));
    const configuration = new RedisConfigurationStore();
    await configuration.init(redisContext(metadata));
    const lock = new RedisLockStore();
    await lock.init(redisContext(metadata));
    cleanups.push(() => pubsub.close(), () => configuration.close(), () => lock.close());

    const messages: string[] = [];
    await pubsub.subscribe({ topic: 'orders' }, async (message: PubSubMessage) => { messages.push(Buffer.from(message.data).toString()); });
    const updates: ConfigurationUpdate[] = [];
    await configuration.subscribe(['flag'], {}, async (update) => { updates.push(update); });
    const writer = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    writer.on('error', () => undefined);
    cleanups.push(async () => writer.disconnect());
    await writer.connect();

    await pubsub.publish({ topic: 'orders', data: new Uint8Array(Buffer.from('before')) });
    await writer.set('flag', 'on||1');
    await waitFor('delivery before the restart', () => messages.includes('before') && updates.length >= 1);

    await killServer();
    await assert.rejects(pubsub.publish({ topic: 'orders', data: new Uint8Array(Buffer.from('lost')) }));
    await assert.rejects(lock.tryLock({ resourceId: 'r', lockOwner: 'a', expiryInSeconds: 5 }));
    await startServer();

    await waitFor('publish to work again', async () => {
      try {
        await pubsub.publish({ topic: 'orders', data: new Uint8Array(Buffer.from('after')) });
        return true;
      } catch {
        return false;
      }
    }, 15_000, 50);
    await waitFor('the stream reader to resume', () => messages.includes('after'), 15_000);
    assert.ok(!messages.includes('lost'), 'a publish that failed was not stored');
    await waitFor('the writer to reconnect', () => writer.status === 'ready', 15_000);
    await waitFor('the keyspace subscription to resume', async () => {
      await writer.set('flag', `on||${updates.length + 1}`);
      return updates.some((update) => update.items.flag?.version !== '1');
    }, 15_000, 200);
    await waitFor('the lock store to reconnect', async () => (await lock.tryLock({ resourceId: 'r', lockOwner: 'a', expiryInSeconds: 5 }).catch(() => ({ success: false }))).success, 15_000, 50);
  });
});
