// The drain keeps its promise under load: a subscriber whose handler takes 2 s has its sidecar sent
// SIGTERM mid-stream, again and again. Every message in flight completes and is acknowledged, the rest
// arrive after the restart; over every cycle none is lost and none is dead-lettered.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { waitFor } from '@outrigger/kit';
import { LocalRegistry } from '@outrigger/runtime';
import { call } from '../harness/http.js';
import { freePort, testAppsDir } from '../harness/processes.js';
import { sqlitePubSubYaml, startRun, tempDir, writeStateComponents, type SidecarHandle } from '../harness/sidecars.js';

const messages = Number(process.env.DRAIN_TEST_MESSAGES ?? 500);
const cycles = Number(process.env.DRAIN_TEST_CYCLES ?? 20);

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

interface Broker {
  readonly name: string;
  /** Component YAML for a pub/sub named `pubsub`, given a scratch folder. */
  yaml(dir: string): string;
  /** Why the broker cannot be used here, checked before the test; undefined when it can. */
  unavailable?(): Promise<string | undefined>;
}

/** Topics unique to this run, so a shared broker holds nothing from earlier runs. */
const runId = Math.random().toString(36).slice(2, 8);
const workTopic = `work-${runId}`;
const deadTopic = `dead-${runId}`;

const brokers: Broker[] = [
  { name: 'pubsub.sqlite', yaml: (dir) => sqlitePubSubYaml(join(dir, 'broker.db'), 'pubsub', '  - name: pollInterval\n    value: 20ms\n') },
  {
    name: 'pubsub.redis (Streams)',
    // Short reclaim times keep the test quick; running messages are renewed, so 3 s is safe with 2 s handlers.
    yaml: () => componentYaml('pubsub.redis', { redisHost: '127.0.0.1:6379', processingTimeout: '3s', redeliverInterval: '1s' }),
    unavailable: () => tcpUnavailable('Redis', 6379),
  },
  {
    name: 'pubsub.rabbitmq',
    // A durable queue that outlives its consumer, so messages wait for the restarted sidecar; a
    // prefetch of 16 keeps most messages in the broker, as the other brokers' concurrency does.
    yaml: () => componentYaml('pubsub.rabbitmq', { connectionString: 'amqp://guest:guest@127.0.0.1:5672', durable: 'true', deletedWhenUnused: 'false', deliveryMode: '2', prefetchCount: '16' }),
    unavailable: () => tcpUnavailable('RabbitMQ', 5672),
  },
];

function componentYaml(type: string, metadata: Record<string, string>): string {
  const items = Object.entries(metadata).map(([name, value]) => `  - name: ${name}\n    value: "${value}"\n`).join('');
  return `---\napiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: pubsub\nspec:\n  type: ${type}\n  version: v1\n  metadata:\n${items}`;
}

/** Whether a service answers on a loopback port; under CI=true it must. */
async function tcpUnavailable(service: string, port: number): Promise<string | undefined> {
  const reachable = await new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
  if (reachable) return undefined;
  if (process.env.CI === 'true') throw new Error(`${service} is not reachable on 127.0.0.1:${port}; CI=true requires it`);
  return `${service} is not reachable on 127.0.0.1:${port}`;
}

for (const broker of brokers) {
  describe(`drain on ${broker.name}: ${cycles} SIGTERM cycles, ${messages} messages, 2 s handlers`, () => {
    const dir = tempDir();
    const home = join(dir.path, 'home');
    const running: SidecarHandle[] = [];
    after(async () => {
      await Promise.all(running.map((handle) => handle.stop()));
      dir.cleanup();
    });
    const ledger = join(dir.path, 'done.ledger');
    const started = join(dir.path, 'started.ledger');
    const dead = join(dir.path, 'dead.ledger');
    const resources = writeStateComponents(dir.path, broker.yaml(dir.path));

    async function startSubscriber(): Promise<SidecarHandle> {
      const handle = await startRun({
        appId: 'drainee', resourcesPath: resources, home, appPort: await freePort(), waitForApp: true,
        appCommand: [process.execPath, join(testAppsDir, 'lifecycle-app.mjs')],
        extraFlags: ['--dapr-graceful-shutdown-seconds', '15'],
        env: {
          HANDLER_MS: '2000', LEDGER: ledger, STARTED_LEDGER: started, DEAD_LEDGER: dead,
          SUBSCRIPTIONS: JSON.stringify([{ pubsubname: 'pubsub', topic: workTopic, route: '/work', deadLetterTopic: deadTopic }, { pubsubname: 'pubsub', topic: deadTopic, route: '/dead' }]),
        },
      });
      running.push(handle);
      return handle;
    }

    function sidecarPid(): number {
      const registry = new LocalRegistry(join(home, 'registry.db'));
      try {
        const entry = registry.list().find((candidate) => candidate.appId === 'drainee');
        if (!entry) throw new Error('the subscriber sidecar is not registered');
        return entry.pid;
      } finally {
        registry.close();
      }
    }

    it('completes in-flight work on every SIGTERM and loses nothing', { timeout: 20 * 60_000 }, async (t) => {
      const reason = await broker.unavailable?.();
      if (reason) {
        t.skip(reason);
        return;
      }
      const first = await startSubscriber();
      const publisher = await startRun({ appId: 'drain-publisher', resourcesPath: resources, home });
      running.push(publisher);
      for (let index = 0; index < messages; index++) {
        const response = await call('POST', `${publisher.baseUrl}/v1.0/publish/pubsub/${workTopic}`, { id: `m${index}` }, { 'content-type': 'application/json' });
        assert.equal(response.status, 204);
      }
      let subscriber = first;
      for (let cycle = 0; cycle < cycles; cycle++) {
        // Counted before the subscriber starts: it may start work (a RabbitMQ prefetch, say) before its
        // start-up is seen to finish, and the last few messages can all begin then. Cycle 0 counts from
        // before the publishing, which may already have started work.
        const startedBefore = cycle === 0 ? 0 : lines(started).length;
        if (cycle > 0) subscriber = await startSubscriber();
        await waitFor(`work in flight in cycle ${cycle}`, () => lines(started).length > startedBefore, 30_000, 10).catch((error: Error) => {
          throw new Error(`${error.message} (${lines(ledger).length} done so far)\n--- subscriber output ---\n${subscriber.process.output.slice(-3000)}`);
        });
        process.kill(sidecarPid(), 'SIGTERM');
        await subscriber.process.exited;
        const begun = new Set(lines(started));
        const done = new Set(lines(ledger));
        const unfinished = [...begun].filter((id) => !done.has(id));
        assert.deepEqual(unfinished, [], `cycle ${cycle}: every message in flight completed before the sidecar exited`);
        if (done.size >= messages) break;
      }
      await startSubscriber();
      await waitFor('every message', () => new Set(lines(ledger)).size === messages, 5 * 60_000, 200);
      const all = lines(ledger);
      t.diagnostic(`${broker.name}: ${all.length} deliveries for ${messages} messages, ${all.length - new Set(all).size} duplicates`);
      assert.deepEqual(lines(dead), [], 'nothing was dead-lettered');
      for (let index = 0; index < messages; index++) assert.ok(all.includes(`m${index}`), `m${index} delivered`);
    });
  });
}
