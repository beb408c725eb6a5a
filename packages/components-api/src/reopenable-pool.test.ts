import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReopenablePool } from './reopenable-pool.js';

class FakePool {
  ended = false;
  constructor(readonly id: number) {}
  async end(): Promise<void> {
    this.ended = true;
  }
}

function pools(): { opened: FakePool[]; reopenable: ReopenablePool<FakePool> } {
  const opened: FakePool[] = [];
  return { opened, reopenable: new ReopenablePool(async () => {
    const pool = new FakePool(opened.length + 1);
    opened.push(pool);
    return pool;
  }) };
}

test('the pool opened at start serves calls until released, then one new pool serves concurrent calls', async () => {
  const { opened, reopenable } = pools();
  await reopenable.start();
  assert.equal((await reopenable.current()).id, 1);
  await reopenable.release();
  assert.equal(opened[0]?.ended, true);
  const [a, b] = await Promise.all([reopenable.current(), reopenable.current()]);
  assert.equal(a.id, 2);
  assert.equal(b, a);
  assert.equal(opened.length, 2);
});

test('after close the pool is ended and calls are refused', async () => {
  const { opened, reopenable } = pools();
  await reopenable.start();
  await reopenable.close();
  assert.equal(opened[0]?.ended, true);
  await assert.rejects(reopenable.current(), /component is closed/);
});

test('a pool that finishes opening after close is ended, not kept', async () => {
  let finishOpening!: (pool: FakePool) => void;
  const late = new FakePool(1);
  const reopenable = new ReopenablePool(() => new Promise<FakePool>((resolve) => {
    finishOpening = resolve;
  }));
  const starting = reopenable.start();
  await reopenable.close();
  finishOpening(late);
  await starting;
  assert.equal(late.ended, true);
  await assert.rejects(reopenable.current(), /component is closed/);
});
