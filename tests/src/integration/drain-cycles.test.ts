// The drain keeps its promise under load: a subscriber whose handler takes 2 s has its sidecar sent
// SIGTERM mid-stream, again and again. Every message in flight completes and is acknowledged, the rest
// arrive after the restart; over every cycle none is lost and none is dead-lettered.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
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
}

const brokers: Broker[] = [
  { name: 'pubsub.sqlite', yaml: (dir) => sqlitePubSubYaml(join(dir, 'broker.db'), 'pubsub', '  - name: pollInterval\n    value: 20ms\n') },
];

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
          SUBSCRIPTIONS: JSON.stringify([{ pubsubname: 'pubsub', topic: 'work', route: '/work', deadLetterTopic: 'dead' }, { pubsubname: 'pubsub', topic: 'dead', route: '/dead' }]),
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
      const first = await startSubscriber();
      const publisher = await startRun({ appId: 'drain-publisher', resourcesPath: resources, home });
      running.push(publisher);
      for (let index = 0; index < messages; index++) {
        const response = await call('POST', `${publisher.baseUrl}/v1.0/publish/pubsub/work`, { id: `m${index}` }, { 'content-type': 'application/json' });
        assert.equal(response.status, 204);
      }
      let subscriber = first;
      for (let cycle = 0; cycle < cycles; cycle++) {
        if (cycle > 0) subscriber = await startSubscriber();
        const startedBefore = lines(started).length;
        await waitFor('work in flight', () => lines(started).length > startedBefore, 30_000, 10);
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
