import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { TurnBatch } from './turn-batch.js';

describe('TurnBatch', () => {
  it('hands the items of one turn to commit together, after the turn', async () => {
    const commits: number[][] = [];
    const batch = new TurnBatch<number>((items) => commits.push([...items]));
    batch.add(1);
    batch.add(2);
    assert.deepEqual(commits, [], 'nothing committed within the turn');
    await nextTurn();
    batch.add(3);
    await nextTurn();
    assert.deepEqual(commits, [[1, 2], [3]]);
  });

  it('commits at once on flush, and the scheduled turn then commits nothing', async () => {
    const commits: number[][] = [];
    const batch = new TurnBatch<number>((items) => commits.push([...items]));
    batch.add(1);
    batch.flush();
    assert.deepEqual(commits, [[1]]);
    await nextTurn();
    batch.flush();
    assert.deepEqual(commits, [[1]]);
  });
});
