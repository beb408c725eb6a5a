import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ComponentRegistry, type PubSubMessage } from '@outrigger/components-api';
import { runPubSubConformance } from '@outrigger/components-api/conformance';
import { Writable } from 'node:stream';
import { createLogger, delay, waitFor } from '@outrigger/kit';
import { registerEmbeddedComponents, SqlitePubSub } from './index.js';
import { countRows } from './testing/count-rows.js';
import { testContext } from './testing/context.js';

const dir = mkdtempSync(join(tmpdir(), 'outrigger-pubsub-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function open(metadata: Record<string, string>): Promise<SqlitePubSub> {
  const pubsub = new SqlitePubSub();
  await pubsub.init(testContext(metadata));
  return pubsub;
}

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text));
const text = (message: PubSubMessage): string => Buffer.from(message.data).toString();

/** Rows left in the broker's tables, read straight from the file. */
function rows(file: string, prefix = 'pubsub_'): { messages: number; deliveries: number } {
  return { messages: countRows(file, `${prefix}messages`), deliveries: countRows(file, `${prefix}deliveries`) };
}

/** Messages waiting for a topic's first group. */
const unclaimedRows = (file: string): number => countRows(file, 'pubsub_unclaimed');

const conformanceFile = join(dir, 'conformance.db');
runPubSubConformance({ name: 'pubsub.sqlite', create: (consumerId) => open({ connectionString: conformanceFile, consumerID: consumerId }) });

describe('pubsub.sqlite', () => {
  it('is registered with its metadata fields', () => {
    const registry = new ComponentRegistry();
    registerEmbeddedComponents(registry);
    const registration = registry.resolve('pubsub.sqlite', 'v1');
    assert.equal(registration.block, 'pubsub');
    assert.ok(registration.metadata.find((field) => field.name === 'connectionString')?.required);
    assert.equal(registration.metadata.find((field) => field.name === 'visibilityTimeout')?.default, '30s');
    assert.ok(registration.create() instanceof SqlitePubSub);
  });

  it('keeps published messages across close and reopen', async () => {
    const file = join(dir, 'reopen.db');
    const first = await open({ connectionString: file, consumerID: 'g' });
    // Subscribing once registers the group; from then on it receives every publish.
    await (await first.subscribe({ topic: 't' }, async () => undefined)).close();
    for (const n of [1, 2, 3]) await first.publish({ topic: 't', data: bytes(`m${n}`), contentType: 'text/plain', metadata: { n: String(n) } });
    await first.close();

    const second = await open({ connectionString: file, consumerID: 'g' });
    const got: PubSubMessage[] = [];
    await second.subscribe({ topic: 't' }, async (message) => { got.push(message); });
    await waitFor('the three messages', () => got.length >= 3);
    assert.deepEqual(got.map(text), ['m1', 'm2', 'm3'], 'in publish order');
    assert.deepEqual(got.map((message) => [message.contentType, message.metadata?.n]), [['text/plain', '1'], ['text/plain', '2'], ['text/plain', '3']]);
    await waitFor('the acknowledgements', () => rows(file).deliveries === 0);
    assert.equal(rows(file).messages, 0, 'acknowledged messages are deleted');
    await second.close();
  });

  it('keeps what is published before any group subscribed for the first group, in order, and only for it', async () => {
    const file = join(dir, 'unclaimed.db');
    const [publisher, first, second] = [await open({ connectionString: file, consumerID: 'p' }),
      await open({ connectionString: file, consumerID: 'first' }), await open({ connectionString: file, consumerID: 'second' })];
    for (const body of ['early-1', 'early-2', 'early-3']) await publisher.publish({ topic: 't', data: bytes(body), metadata: { n: body } });
    assert.deepEqual(rows(file), { messages: 3, deliveries: 0 }, 'stored, waiting for a group');
    const firstGot: PubSubMessage[] = [];
    await first.subscribe({ topic: 't' }, async (message) => { firstGot.push(message); });
    await waitFor('the waiting messages', () => firstGot.length >= 3);
    assert.deepEqual(firstGot.map(text), ['early-1', 'early-2', 'early-3'], 'in publish order');
    assert.deepEqual(firstGot.map((message) => message.metadata?.n), ['early-1', 'early-2', 'early-3']);
    // A group that comes later gets what is published from then on, not the first group's messages.
    const secondGot: string[] = [];
    await second.subscribe({ topic: 't' }, async (message) => { secondGot.push(text(message)); });
    await publisher.publish({ topic: 't', data: bytes('late') });
    await waitFor('the late message in both groups', () => secondGot.includes('late') && firstGot.length === 4);
    await waitFor('the acknowledgements', () => rows(file).messages === 0);
    assert.deepEqual(secondGot, ['late']);
    assert.deepEqual(firstGot.map(text), ['early-1', 'early-2', 'early-3', 'late'], 'each message once');
    assert.equal(unclaimedRows(file), 0);
    await Promise.all([publisher.close(), first.close(), second.close()]);
  });

  it('stores nothing for a topic no group has subscribed to when unclaimedRetention is 0', async () => {
    const file = join(dir, 'no-group.db');
    const pubsub = await open({ connectionString: file, consumerID: 'g', unclaimedRetention: '0' });
    await pubsub.publish({ topic: 't', data: bytes('before') });
    assert.deepEqual(rows(file), { messages: 0, deliveries: 0 });
    const got: string[] = [];
    await pubsub.subscribe({ topic: 't' }, async (message) => { got.push(text(message)); });
    await pubsub.publish({ topic: 't', data: bytes('after') });
    await waitFor('the later message', () => got.includes('after'));
    assert.deepEqual(got, ['after']);
    await pubsub.close();
  });

  it('does not hand a group messages that waited past unclaimedRetention or their TTL, and cleanup() deletes them', async () => {
    const file = join(dir, 'unclaimed-expiry.db');
    const pubsub = await open({ connectionString: file, consumerID: 'g', unclaimedRetention: '2s', cleanupInterval: '0' });
    try {
      const startedAt = Date.now();
      await pubsub.publish({ topic: 't', data: bytes('too-early') });
      await pubsub.publish({ topic: 'other', data: bytes('never-claimed') });
      // TTLs come in whole seconds: this one runs out before its wait for a group would.
      await waitFor('a second to pass', () => Date.now() > startedAt + 1_100, 5_000);
      await pubsub.publish({ topic: 't', data: bytes('ttl'), metadata: { ttlInSeconds: '1' } });
      await waitFor('the first messages\' wait and the TTL to pass', () => Date.now() > startedAt + 2_200, 5_000);
      await pubsub.publish({ topic: 't', data: bytes('in-time') });
      const got: string[] = [];
      await pubsub.subscribe({ topic: 't' }, async (message) => { got.push(text(message)); });
      await waitFor('the message still waiting', () => got.length === 1 && rows(file).deliveries === 0);
      assert.deepEqual(got, ['in-time']);
      assert.equal(await pubsub.cleanup(), 3, 'the message past its wait, the one past its TTL, and the one on the other topic');
      assert.deepEqual(rows(file), { messages: 0, deliveries: 0 });
      assert.equal(unclaimedRows(file), 0);
    } finally {
      await pubsub.close();
    }
  });

  it('moves a file made by schema version 1 to version 2 and keeps its messages', async () => {
    const file = join(dir, 'schema-1.db');
    const old = await open({ connectionString: file, consumerID: 'g' });
    await (await old.subscribe({ topic: 't' }, async () => undefined)).close();
    await old.publish({ topic: 't', data: bytes('kept') });
    await old.close();
    // What a version-1 broker left: no unclaimed table, version 1 in meta.
    const db = new Database(file);
    db.exec("DROP TABLE pubsub_unclaimed; UPDATE pubsub_meta SET value = '1' WHERE key = 'schema-version'");
    db.close();
    const reopened = await open({ connectionString: file, consumerID: 'g' });
    const got: string[] = [];
    await reopened.subscribe({ topic: 't' }, async (message) => { got.push(text(message)); });
    await reopened.publish({ topic: 'new', data: bytes('waits') });
    await waitFor('the kept message', () => got.length === 1);
    assert.deepEqual(got, ['kept']);
    assert.equal(unclaimedRows(file), 1);
    const meta = new Database(file, { readonly: true });
    assert.equal((meta.prepare("SELECT value FROM pubsub_meta WHERE key = 'schema-version'").get() as { value: string }).value, '2');
    meta.close();
    await reopened.close();
  });

  it('commits publishes made together in one go: each answered once stored, each delivered and acknowledged once', async () => {
    const file = join(dir, 'together.db');
    const pubsub = await open({ connectionString: file, consumerID: 'g' });
    const got: string[] = [];
    await pubsub.subscribe({ topic: 't' }, async (message) => { got.push(text(message)); });
    const sent = Array.from({ length: 50 }, (_, index) => `m${index}`);
    await Promise.all(sent.map((body) => pubsub.publish({ topic: 't', data: bytes(body) })));
    await waitFor('every message handled and acknowledged', () => got.length === sent.length && rows(file).messages === 0);
    assert.deepEqual([...got].sort(), [...sent].sort(), 'each message once');
    await pubsub.close();
  });

  it('fails every publish of a commit that cannot get the write lock, stores none of them, and takes later ones', async () => {
    const file = join(dir, 'locked.db');
    const pubsub = await open({ connectionString: file, consumerID: 'g', busyTimeout: '50ms' });
    // A group that subscribed once, so publishes to the topic are stored for it.
    await (await pubsub.subscribe({ topic: 't' }, async () => undefined)).close();
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const results = await Promise.allSettled(['a', 'b', 'c'].map((body) => pubsub.publish({ topic: 't', data: bytes(body) })));
      assert.deepEqual(results.map((result) => result.status), ['rejected', 'rejected', 'rejected']);
      assert.match(String((results[0] as PromiseRejectedResult).reason), /locked|busy/i);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    assert.equal(rows(file).messages, 0, 'nothing of the failed commit was stored');
    await pubsub.publish({ topic: 't', data: bytes('later') });
    assert.deepEqual(rows(file), { messages: 1, deliveries: 1 });
    await pubsub.close();
  });

  it('keeps an acknowledgement whose commit cannot get the write lock and commits it later, without a second delivery', async () => {
    const file = join(dir, 'ack-locked.db');
    const warnings: string[] = [];
    const logger = createLogger({ scope: 'test', level: 'warn', json: true, destination: new Writable({ write(chunk: Buffer, _encoding, done) { warnings.push(chunk.toString()); done(); } }) });
    const pubsub = new SqlitePubSub();
    // A lease shorter than the lock is held: an acknowledgement that were dropped would show as a second delivery.
    await pubsub.init({ ...testContext({ connectionString: file, consumerID: 'g', busyTimeout: '20ms', pollInterval: '10ms', visibilityTimeout: '100ms' }), logger });
    const holder = new Database(file);
    const got: string[] = [];
    await pubsub.subscribe({ topic: 't' }, async (message) => {
      got.push(text(message));
      // Another process takes the write lock before the delivery can be acknowledged.
      if (got.length === 1) holder.exec('BEGIN IMMEDIATE');
    });
    try {
      await pubsub.publish({ topic: 't', data: bytes('once') });
      await waitFor('an acknowledgement to fail on the lock', () => warnings.some((line) => /locked|busy/i.test(line)));
      const failedAt = warnings.length;
      await waitFor('the acknowledgement to fail again, past the lease', () => warnings.length >= failedAt + 10);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    await waitFor('the acknowledgement to commit', () => rows(file).messages === 0);
    await pubsub.close();
    assert.deepEqual(got, ['once'], 'delivered once');
    assert.deepEqual(rows(file), { messages: 0, deliveries: 0 });
  });

  it('keeps one message row for all groups and deletes it after the last group acknowledges', async () => {
    const file = join(dir, 'fan-out.db');
    const [a, b] = [await open({ connectionString: file, consumerID: 'a' }), await open({ connectionString: file, consumerID: 'b' })];
    await (await b.subscribe({ topic: 't' }, async () => undefined)).close();
    const gotA: string[] = [];
    await a.subscribe({ topic: 't' }, async (message) => { gotA.push(text(message)); });
    await a.publish({ topic: 't', data: bytes('x') });
    await waitFor('group a to acknowledge', () => gotA.length === 1 && rows(file).deliveries === 1);
    assert.deepEqual(rows(file), { messages: 1, deliveries: 1 }, 'group b still has its delivery');
    const gotB: string[] = [];
    await b.subscribe({ topic: 't' }, async (message) => { gotB.push(text(message)); });
    await waitFor('group b to acknowledge', () => rows(file).messages === 0);
    assert.deepEqual(gotB, ['x']);
    await Promise.all([a.close(), b.close()]);
  });

  it('renews the leases of a slow handler, so no other consumer gets its message meanwhile', async () => {
    const file = join(dir, 'renew.db');
    const settings = { connectionString: file, consumerID: 'g', visibilityTimeout: '200ms', pollInterval: '10ms' };
    const [slow, other] = [await open(settings), await open(settings)];
    let slowRuns = 0;
    let slowDone = false;
    const otherGot: string[] = [];
    await slow.subscribe({ topic: 't' }, async () => {
      slowRuns += 1;
      // Work lasting several visibility timeouts.
      await delay(800);
      slowDone = true;
    });
    await slow.publish({ topic: 't', data: bytes('long-job') });
    await waitFor('the slow handler to start', () => slowRuns > 0);
    // Polling every 10 ms through the rest of the slow run: it would see the message if the lease lapsed.
    await other.subscribe({ topic: 't' }, async (message) => { otherGot.push(text(message)); });
    await waitFor('the slow handler to finish', () => slowDone);
    await Promise.all([slow.close(), other.close()]);
    // Either consumer (the slow one has free slots too) would take the message again if its lease lapsed.
    assert.equal(slowRuns, 1, 'the slow consumer got the message once');
    assert.deepEqual(otherGot, [], 'the other consumer never got it');
    assert.deepEqual(rows(file), { messages: 0, deliveries: 0 });
  });

  it('deletes expired messages and, with a retention period, old ones in cleanup()', async () => {
    const file = join(dir, 'cleanup.db');
    const pubsub = await open({ connectionString: file, consumerID: 'g', retentionPeriod: '1h', cleanupInterval: '0' });
    await (await pubsub.subscribe({ topic: 't' }, async () => undefined)).close();
    const publishedAt = Date.now();
    await pubsub.publish({ topic: 't', data: bytes('short'), metadata: { ttlInSeconds: '1' } });
    await pubsub.publish({ topic: 't', data: bytes('kept') });
    assert.equal(await pubsub.cleanup(), 0, 'nothing is stale yet');
    await waitFor('the TTL to pass', () => Date.now() > publishedAt + 1_100, 5_000);
    assert.equal(await pubsub.cleanup(), 1);
    assert.deepEqual(rows(file), { messages: 1, deliveries: 1 });
    await pubsub.close();

    const strict = await open({ connectionString: file, consumerID: 'g', retentionPeriod: '1ms', cleanupInterval: '0' });
    await waitFor('the message to be older than 1 ms', () => Date.now() > publishedAt + 2, 1_000);
    assert.equal(await strict.cleanup(), 1);
    assert.deepEqual(rows(file), { messages: 0, deliveries: 0 });
    await strict.close();
  });

  it('clears a backlog of any size in cleanup(), a few hundred messages a transaction', async () => {
    const file = join(dir, 'backlog.db');
    const pubsub = await open({ connectionString: file, consumerID: 'g', unclaimedRetention: '1ms', cleanupInterval: '0' });
    try {
      // A busy topic nobody subscribes to: more than one clean-up tick used to delete (10,000).
      const entries = Array.from({ length: 12_345 }, (_, index) => ({ entryId: String(index), topic: 'unheard', data: bytes('x') }));
      assert.deepEqual(await pubsub.bulkPublish('unheard', entries), []);
      const storedAt = Date.now();
      assert.equal(rows(file).messages, 12_345);
      await waitFor('the messages\' wait to pass', () => Date.now() > storedAt + 2, 1_000);
      assert.equal(await pubsub.cleanup(), 12_345);
      assert.deepEqual(rows(file), { messages: 0, deliveries: 0 });
      assert.equal(unclaimedRows(file), 0);
    } finally {
      await pubsub.close();
    }
  });

  it('publishes the valid entries of a bulk in one go and reports the invalid ones', async () => {
    const file = join(dir, 'bulk.db');
    const pubsub = await open({ connectionString: file, consumerID: 'g' });
    await (await pubsub.subscribe({ topic: 't' }, async () => undefined)).close();
    const failed = await pubsub.bulkPublish('t', [
      { entryId: '1', topic: 't', data: bytes('a') },
      { entryId: '2', topic: 't', data: bytes('b'), metadata: { ttlInSeconds: 'never' } },
      { entryId: '3', topic: 't', data: bytes('c') },
    ]);
    assert.deepEqual(failed.map((entry) => entry.entryId), ['2']);
    assert.match(failed[0]?.error ?? '', /ttlInSeconds/);
    assert.deepEqual(rows(file), { messages: 2, deliveries: 2 });
    await pubsub.close();
  });

  it('uses its own table prefix, so it can share a file with state.sqlite', async () => {
    const file = join(dir, 'prefix.db');
    const pubsub = await open({ connectionString: file, consumerID: 'g', tablePrefix: 'broker_' });
    await pubsub.subscribe({ topic: 't' }, async () => undefined);
    await pubsub.close();
    const db = new Database(file, { readonly: true });
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((row) => row.name);
    db.close();
    assert.deepEqual(tables, ['broker_deliveries', 'broker_messages', 'broker_meta', 'broker_topic_groups', 'broker_unclaimed']);
  });

  it('works on a process-local :memory: database', async () => {
    const pubsub = await open({ connectionString: ':memory:', consumerID: 'g' });
    const got: string[] = [];
    await pubsub.subscribe({ topic: 't' }, async (message) => { got.push(text(message)); });
    await pubsub.publish({ topic: 't', data: bytes('hello') });
    await waitFor('the message', () => got.length === 1);
    assert.deepEqual(got, ['hello']);
    await pubsub.close();
  });

  it('validates its metadata', async () => {
    await assert.rejects(open({}), { name: 'MetadataError', message: /connectionString/ });
    await assert.rejects(open({ connectionString: ':memory:', visibilityTimeout: '10ms' }), { name: 'MetadataError', message: /visibilityTimeout/ });
    await assert.rejects(open({ connectionString: ':memory:', pollInterval: 'often' }), { name: 'MetadataError', message: /pollInterval/ });
    await assert.rejects(open({ connectionString: ':memory:', tablePrefix: 'x; DROP' }), { name: 'MetadataError', message: /tablePrefix/ });
    await assert.rejects(open({ connectionString: ':memory:', maxDeliveryBatch: '0' }), { name: 'MetadataError' });
    await assert.rejects(open({ connectionString: `file:${join(dir, 'ro.db')}?mode=ro` }), { name: 'MetadataError', message: /read-only/ });
  });
});
