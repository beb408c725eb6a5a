import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { delay } from '@outrigger/kit';
import { SqliteStateStore } from './sqlite.js';
import { testContext } from './testing/context.js';

const workerPath = fileURLToPath(new URL('./testing/counter-worker.js', import.meta.url));
const INCREMENTS = 150;

interface Worker {
  readonly child: ChildProcessWithoutNullStreams;
  readonly output: () => string;
  readonly errors: () => string;
  readonly exited: Promise<number | null>;
}

function startWorker(file: string, key: string): Worker {
  const child = spawn(process.execPath, [workerPath, file, key, String(INCREMENTS)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { errors += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, errors: () => errors, exited };
}

/** Polls until the worker says `ready`; fails at once if it died, or after 15 s. */
async function ready(worker: Worker): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!worker.output().includes('ready\n')) {
    if (worker.child.exitCode !== null) throw new Error(`worker exited early with ${worker.child.exitCode}: ${worker.errors()}`);
    if (Date.now() > deadline) throw new Error(`worker not ready after 15 s: ${worker.errors()}`);
    await delay(20);
  }
}

describe('state.sqlite shared by two OS processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'outrigger-sqlite-mp-'));
  const workers: Worker[] = [];

  after(() => {
    // Only the children this test started, by pid, and only if still running.
    for (const { child } of workers) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses no update when both do etag-guarded increments of one counter', { timeout: 120_000 }, async (context) => {
    const file = join(dir, 'shared.db');
    const key = 'app||counter';
    // Both open a new file at once, so the schema creation races too.
    workers.push(startWorker(file, key), startWorker(file, key));
    await Promise.all(workers.map(ready));
    for (const { child } of workers) child.stdin.end('go\n');
    const codes = await Promise.all(workers.map((worker) => worker.exited));
    assert.deepEqual(codes, [0, 0], `workers failed: ${workers.map((worker) => worker.errors()).join('\n')}`);
    const conflicts = workers.map((worker) => (JSON.parse(worker.output().split('\n')[1] ?? '{}') as { conflicts?: number }).conflicts);
    assert.ok(conflicts.every((n) => typeof n === 'number'), 'each worker reported its conflicts');
    context.diagnostic(`etag conflicts retried per worker: ${conflicts.join(', ')}`);

    const store = new SqliteStateStore();
    await store.init(testContext({ connectionString: file }));
    const counter = await store.get({ key });
    await store.close();
    assert.equal(Buffer.from(counter?.value ?? []).toString(), String(2 * INCREMENTS), `conflicts retried: ${conflicts.join(', ')}`);
    assert.equal(counter?.etag, String(2 * INCREMENTS), 'one version per successful write');
  });
});
