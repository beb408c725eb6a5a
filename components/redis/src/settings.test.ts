import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MetadataError } from '@outrigger/components-api';
import { parseConnectionSettings, parseRedisPubSubSettings, redisConnectionMetadata } from './index.js';

const parse = (metadata: Record<string, string>, block: 'state' | 'pubsub' | 'configuration' = 'state') =>
  parseConnectionSettings({ redisHost: 'localhost:6379', ...metadata }, redisConnectionMetadata, block);

describe('Redis connection settings', () => {
  it('reads host and port as Dapr does: redisPort fills a missing port, a conflicting one is refused', () => {
    assert.equal(parse({ redisHost: 'cache' }).address, 'cache:6379');
    assert.equal(parse({ redisHost: 'cache', redisPort: '6380' }).address, 'cache:6380');
    assert.equal(parse({ redisHost: 'cache:6380', redisPort: '6380' }).port, 6380);
    assert.throws(() => parse({ redisHost: 'cache:6380', redisPort: '6381' }), (error: Error) => error instanceof MetadataError && /redisPort/.test(error.message));
    assert.throws(() => parseConnectionSettings({}, redisConnectionMetadata, 'state'), /redisHost/);
  });

  it('takes bare numbers as milliseconds, 0 as the default and -1 as no timeout', () => {
    assert.equal(parse({ readTimeout: '250' }).commandTimeoutMs, 250);
    assert.equal(parse({ readTimeout: '2s', writeTimeout: '5s' }).commandTimeoutMs, 5000);
    assert.equal(parse({ readTimeout: '0' }).commandTimeoutMs, 3000);
    assert.equal(parse({ readTimeout: '-1' }).commandTimeoutMs, undefined);
    assert.equal(parse({ dialTimeout: '-1' }).dialTimeoutMs, 5000);
    assert.throws(() => parse({ dialTimeout: 'soon' }), MetadataError);
  });

  it('applies Dapr\'s per-block retry defaults', () => {
    assert.equal(parse({}, 'state').minRetryIntervalMs, 2000);
    assert.equal(parse({}, 'pubsub').minRetryIntervalMs, 8);
    assert.equal(parse({}, 'configuration').maxRetryIntervalMs, 2000);
    assert.equal(parse({ maxRetries: '5' }).maxRetries, 5, 'the legacy maxRetries name');
  });

  it('refuses what is not supported, naming the field', () => {
    for (const [field, value] of [['redisType', 'cluster'], ['useEntraID', 'true'], ['useOIDC', 'true']]) {
      assert.throws(() => parse({ [field as string]: value as string }), (error: Error) => error instanceof MetadataError && error.message.includes(field as string));
    }
    assert.throws(() => parse({ failover: 'true' }), /sentinelMasterName/);
    assert.equal(parse({ failover: 'true', sentinelMasterName: 'm', redisHost: 's1:26379,s2:26379' }).sentinels.length, 2);
  });

  it('turns TLS options into a TLS config', () => {
    assert.equal(parse({}).tls, undefined);
    assert.deepEqual(parse({ enableTLS: 'true' }).tls, { rejectUnauthorized: true });
    assert.deepEqual(parse({ enableTLS: 'true', insecureSkipTLSVerify: 'true' }).tls, { rejectUnauthorized: false });
  });
});

describe('pubsub.redis settings', () => {
  it('has daprd\'s defaults and reads processingTimeout/redeliverInterval numbers as milliseconds', () => {
    const defaults = parseRedisPubSubSettings({ redisHost: 'h' }, 'my-app');
    assert.equal(defaults.consumerID, 'my-app');
    assert.equal(defaults.processingTimeoutMs, 60_000);
    assert.equal(defaults.redeliverIntervalMs, 15_000);
    assert.equal(defaults.concurrency, 10);
    assert.equal(defaults.queueDepth, 100);
    const custom = parseRedisPubSubSettings({ redisHost: 'h', consumerID: 'g', processingTimeout: '1500', redeliverInterval: '2s', concurrency: '3' }, 'my-app');
    assert.deepEqual([custom.consumerID, custom.processingTimeoutMs, custom.redeliverIntervalMs, custom.concurrency], ['g', 1500, 2000, 3]);
    assert.throws(() => parseRedisPubSubSettings({ redisHost: 'h', concurrency: '0' }, 'a'), MetadataError);
  });
});
