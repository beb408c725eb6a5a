import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { CoalescingWriter, type FrameSink } from './frames.js';

/** A sink that records each write, and whether it came while corked. */
function recordingSink(): FrameSink & { writes: { bytes: Buffer; corked: boolean }[] } {
  let corked = 0;
  const writes: { bytes: Buffer; corked: boolean }[] = [];
  return {
    writes,
    destroyed: false,
    writableNeedDrain: false,
    cork: () => { corked++; },
    uncork: () => { corked--; },
    write: (chunk) => {
      writes.push({ bytes: chunk, corked: corked > 0 });
      return true;
    },
  };
}

describe('coalescing writer', () => {
  it('writes a turn\'s lone frame as it is', async () => {
    const sink = recordingSink();
    const frame = Buffer.from('one');
    new CoalescingWriter(sink).write(frame);
    await nextTurn();
    assert.equal(sink.writes.length, 1);
    assert.equal(sink.writes[0]?.bytes, frame);
  });

  it('writes a turn\'s frames under one cork, in order and without copying them', async () => {
    const sink = recordingSink();
    const writer = new CoalescingWriter(sink);
    const frames = ['a', 'bb', 'ccc'].map((text) => Buffer.from(text));
    for (const frame of frames) writer.write(frame);
    assert.equal(sink.writes.length, 0, 'nothing is written before the turn ends');
    await nextTurn();
    assert.equal(sink.writes.length, 3);
    assert.ok(sink.writes.every((write, index) => write.corked && write.bytes === frames[index]));
  });

  it('drops what is queued when the sink was destroyed before the turn ended', async () => {
    const sink = recordingSink();
    new CoalescingWriter(sink).write(Buffer.from('late'));
    Object.assign(sink, { destroyed: true });
    await nextTurn();
    assert.equal(sink.writes.length, 0);
  });
});
