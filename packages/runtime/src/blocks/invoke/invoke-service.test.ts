import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isDaprError } from '@outrigger/kit';
import { parseTarget } from './invoke-service.js';

describe('invocation target', () => {
  it('takes the default namespace when the target names none, even an empty one', () => {
    assert.deepEqual(parseTarget('orders', 'prod'), { appId: 'orders', namespace: 'prod' });
    assert.deepEqual(parseTarget('orders', ''), { appId: 'orders', namespace: '' });
  });

  it('splits app id and namespace at the dot', () => {
    assert.deepEqual(parseTarget('orders.staging', 'prod'), { appId: 'orders', namespace: 'staging' });
  });

  for (const target of ['', '.staging', 'orders.', 'a.b.c', '.']) {
    it(`refuses ${JSON.stringify(target)} as ERR_DIRECT_INVOKE`, () => {
      assert.throws(() => parseTarget(target, 'prod'), (error: unknown) => isDaprError(error) && error.errorCode === 'ERR_DIRECT_INVOKE' && error.message.includes(`invalid app id ${target}`));
    });
  }
});
