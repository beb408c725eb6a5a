import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { delay } from './wait.js';

test('delay leaves no abort listener behind once its time is up', async () => {
  const controller = new AbortController();
  for (let i = 0; i < 20; i++) await delay(1, controller.signal);
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
});

test('delay rejects with the signal\'s reason when aborted, also when aborted before it starts', async () => {
  const controller = new AbortController();
  const waiting = delay(60_000, controller.signal);
  controller.abort(new Error('stopping'));
  await assert.rejects(waiting, /stopping/);
  await assert.rejects(delay(60_000, controller.signal), /stopping/);
});
