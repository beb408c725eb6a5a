import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@outrigger/kit';
import { SqlitePubSub } from './pubsub-sqlite.js';
import { countRows } from './testing/count-rows.js';
import { testContext } from './testing/context.js';

const workerPath = fileURLToPath(new URL('./testing/pubsub-worker.js', import.meta.url));

interface Worker {
  readonly child: ChildProcessWithoutNullStreams;
  readonly output: () => string;
  readonly errors: () => string;
  readonly exited: Promise<void>;
}

/** Message bodies a worker printed as received, in order. */
function received(worker: Worker): string[] {
  return worker.output().split('\n').filter((line) => line.startsWith('got ')).map((line) => line.slice('got '.length));
}

/** Polls until the worker has subscribed; fails at once if it died. */
async function ready(worker: Worker): Promise<void> {
  await waitFor('the worker to subscribe', () => {
    if (worker.child.exitCode !== null) throw new Error(`worker exited with ${worker.child.exitCode}: ${worker.errors()}`);
    return worker.output().includes('ready\n');
  }, 15_000);
}

async function openBroker(file: string, group: string): Promise<SqlitePubSub> {
  const pubsub = new SqlitePubSub();
  await pubsub.init(testContext({ connectionString: file, consumerID: group, pollInterval: '10ms', busyTimeout: '10s' }));
  return pubsub;
}

/** Deliveries not yet acknowledged, read straight from the file. */
const pendingDeliveries = (file: string): number => countRows(file, 'pubsub_deliveries');

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text));

describe('pubsub.sqlite shared by OS processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'outrigger-pubsub-mp-'));
  const workers: Worker[] = [];

  function startWorker(file: string, topic: string, group: string, mode: 'ack' | 'hang', visibilityTimeout: string): Worker {
    const child = spawn(process.execPath, [workerPath, file, topic, group, mode, visibilityTimeout], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { errors += chunk.toString(); });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const worker = { child, output: () => output, errors: () => errors, exited };
    workers.push(worker);
    return worker;
  }

  after(() => {
    // Only the children these tests started, by pid, and only if still running.
    for (const { child } of workers) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('two consumer processes of one group process every message, none lost', { timeout: 120_000 }, async (context) => {
    const file = join(dir, 'shared.db');
    const count = 300;
    // Both open a new file at once, so the schema creation races too.
    const pair = [startWorker(file, 'orders', 'workers', 'ack', '5s'), startWorker(file, 'orders', 'workers', 'ack', '5s')];
    await Promise.all(pair.map(ready));
    const publisher = await openBroker(file, 'publisher');
    try {
      for (let n = 0; n < count; n += 1) await publisher.publish({ topic: 'orders', data: bytes(`order-${n}`) });
    } finally {
      await publisher.close();
    }
    const union = (): Set<string> => new Set(pair.flatMap(received));
    await waitFor(`all ${count} messages across both processes`, () => union().size === count, 60_000);
    await waitFor('every acknowledgement to land', () => pendingDeliveries(file) === 0, 15_000);
    for (const worker of pair) worker.child.stdin.end();
    await Promise.all(pair.map((worker) => worker.exited));
    assert.deepEqual(pair.map((worker) => worker.child.exitCode), [0, 0], `workers failed: ${pair.map((worker) => worker.errors()).join('\n')}`);
    const counts = pair.map((worker) => received(worker).length);
    context.diagnostic(`deliveries per process: ${counts.join(', ')}; duplicates: ${counts[0]! + counts[1]! - count}`);
    assert.equal(union().size, count);
  });

  it('a group subscribing from another process while a topic with no group is published to gets each message once', { timeout: 120_000 }, async (context) => {
    const file = join(dir, 'first-group.db');
    const publisher = await openBroker(file, 'publisher');
    const sent: string[] = [];
    let worker: Worker | undefined;
    try {
      // Publishing all along: the group's registration in the other process lands between two of these
      // commits, so what came before it is claimed and what comes after is fanned out to it.
      const publish = async (): Promise<void> => {
        const body = `m-${sent.length}`;
        await publisher.publish({ topic: 'fresh', data: bytes(body) });
        sent.push(body);
      };
      for (let n = 0; n < 50; n += 1) await publish();
      worker = startWorker(file, 'fresh', 'late', 'ack', '5s');
      const subscribed = ready(worker);
      let registered = false;
      void subscribed.then(() => { registered = true; }, () => undefined);
      while (!registered && sent.length < 20_000) await publish();
      await subscribed;
      context.diagnostic(`published before the group's registration was seen: ${sent.length}`);
      for (let n = 0; n < 200; n += 1) await publish();
    } finally {
      await publisher.close();
    }
    const subscriber = worker;
    await waitFor(`all ${sent.length} messages in the other process`, () => new Set(received(subscriber)).size === sent.length, 60_000);
    await waitFor('every acknowledgement to land', () => pendingDeliveries(file) === 0, 15_000);
    subscriber.child.stdin.end();
    await subscriber.exited;
    assert.equal(subscriber.child.exitCode, 0, subscriber.errors());
    assert.deepEqual([...received(subscriber)].sort(), [...sent].sort(), 'each message exactly once');
  });

  it('redelivers the messages of a consumer killed with SIGKILL after the visibility timeout', { timeout: 120_000 }, async () => {
    const file = join(dir, 'kill.db');
    const doomed = startWorker(file, 'jobs', 'workers', 'hang', '500ms');
    await ready(doomed);
    const expected = Array.from({ length: 10 }, (_, n) => `job-${n}`);
    const survivor = await openBroker(file, 'workers');
    try {
      for (const id of expected) await survivor.publish({ topic: 'jobs', data: bytes(id) });
      // The doomed worker holds all ten (its concurrency is 16) in handlers that never settle.
      await waitFor('the doomed worker to hold every message', () => received(doomed).length === expected.length, 15_000);
      const { pid } = doomed.child;
      assert.ok(pid !== undefined);
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      await doomed.exited;
      assert.equal(pendingDeliveries(file), expected.length, 'the killed worker acknowledged nothing');

      const got = new Set<string>();
      let firstAt = 0;
      await survivor.subscribe({ topic: 'jobs' }, async (message) => {
        firstAt ||= Date.now();
        got.add(Buffer.from(message.data).toString());
      });
      // Within a few visibility timeouts; the default (30 s) would miss this bound.
      await waitFor('the killed worker\'s messages in the survivor', () => expected.every((id) => got.has(id)), 10_000);
      // The dead worker renewed its leases every ~170 ms until killed, so they ran out no sooner than
      // ~330 ms after the kill; a broker ignoring leases would redeliver within one 10 ms poll.
      assert.ok(firstAt - killedAt >= 100, `redelivered ${firstAt - killedAt} ms after the kill, before the leases ran out`);
      await waitFor('every acknowledgement to land', () => pendingDeliveries(file) === 0, 10_000);
    } finally {
      await survivor.close();
    }
  });
});
