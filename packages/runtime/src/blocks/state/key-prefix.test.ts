import { it } from 'node:test';
import assert from 'node:assert/strict';
import { DaprError } from '@outrigger/kit';
import { createKeyPrefixer } from './key-prefix.js';

const base = { storeName: 'orders', appId: 'shop', namespace: 'prod' };

it('applies each of Dapr\'s keyPrefix strategies', () => {
  const cases: [string | undefined, string][] = [
    [undefined, 'shop||k'], ['appid', 'shop||k'], ['AppID', 'shop||k'], ['name', 'orders||k'],
    ['namespace', 'prod.shop||k'], ['none', 'k'], ['MyPrefix', 'myprefix||k'],
  ];
  for (const [keyPrefix, stored] of cases) {
    const keys = createKeyPrefixer({ ...base, metadata: keyPrefix === undefined ? {} : { keyPrefix } });
    assert.equal(keys.toStored('k'), stored, String(keyPrefix));
    assert.equal(keys.fromStored(stored), 'k');
  }
  assert.equal(createKeyPrefixer({ ...base, namespace: '', metadata: { keyPrefix: 'namespace' } }).toStored('k'), 'shop||k');
});

it('refuses keys and prefixes containing ||', () => {
  const keys = createKeyPrefixer({ ...base, metadata: {} });
  assert.throws(() => keys.toStored('a||b'), (error: unknown) => error instanceof DaprError && error.httpStatus === 400 && error.errorCode === 'ERR_MALFORMED_REQUEST');
  assert.throws(() => createKeyPrefixer({ ...base, metadata: { keyPrefix: 'x||y' } }), DaprError);
});
