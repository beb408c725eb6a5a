import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compose, type ChainLink } from './compose.js';

test('compose runs links outermost first and the last step inside them', async () => {
  const trail: string[] = [];
  const link = (name: string): ChainLink<string[], string> => async (context, next) => {
    trail.push(`${name}:in`);
    const result = await next([...context, name]);
    trail.push(`${name}:out`);
    return result;
  };
  const chain = compose([link('a'), link('b')], async (context) => context.join('>'));
  assert.equal(await chain(['start']), 'start>a>b');
  assert.deepEqual(trail, ['a:in', 'b:in', 'b:out', 'a:out']);
});

test('a link that does not call next ends the chain with its own result', async () => {
  let reachedLast = false;
  const chain = compose<number, string>([async () => 'refused'], async () => {
    reachedLast = true;
    return 'done';
  });
  assert.equal(await chain(1), 'refused');
  assert.equal(reachedLast, false);
});

test('a link may call next again, running the rest of the chain again', async () => {
  let calls = 0;
  const retryOnce: ChainLink<void, number> = async (context, next) => {
    try {
      return await next(context);
    } catch {
      return next(context);
    }
  };
  const chain = compose([retryOnce], async () => {
    calls++;
    if (calls === 1) throw new Error('first try fails');
    return calls;
  });
  assert.equal(await chain(), 2);
});

test('with no links the chain is the last step', async () => {
  assert.equal(await compose<number, number>([], async (n) => n * 2)(21), 42);
});
