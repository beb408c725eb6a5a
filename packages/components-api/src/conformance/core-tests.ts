import assert from 'node:assert/strict';
import { waitFor } from '@outrigger/kit';
import { EtagInvalidError, EtagMismatchError, InvalidStateRequestError } from '../state.js';
import { assertBytes, hasFeature, json, parse, type ConformanceSuite } from './suite.js';

export const CORE_TESTS = [
  'set and get a JSON value',
  'set and get arbitrary binary bytes',
  'get of a missing key resolves undefined',
  'overwrite changes the etag',
  'set with the current etag succeeds',
  'set with a stale etag fails with EtagMismatchError',
  'set with an etag on a missing key fails with EtagMismatchError',
  'set with a malformed etag fails with EtagInvalidError',
  'an ETag from before a delete does not match the re-created key',
  'first-write on an existing key without etag fails',
  'first-write on a new key succeeds',
  'first-write with the current etag succeeds',
  'delete of a missing key succeeds',
  'delete with a stale etag fails with EtagMismatchError',
  'delete with the current etag succeeds',
] as const;

export const TTL_TESTS = [
  'ttl: an item with ttlInSeconds=1 disappears',
  'ttl: get returns ttlExpireTime metadata',
  'ttl: ttlInSeconds=-1 means no expiry',
  'ttl: an overwrite without ttl clears the expiry',
  'ttl: a malformed ttlInSeconds fails with InvalidStateRequestError',
] as const;

const etags = hasFeature('ETAG');

export function coreTests(suite: ConformanceSuite): void {
  suite.test('set and get a JSON value', async (store) => {
    const key = suite.key('json');
    const value = { name: 'Ada', tags: ['x', 'y'], nested: { n: 1.5, ok: true, none: null }, text: 'é😀<&>' };
    await store.set({ key, value: json(value) });
    const got = await store.get({ key });
    assert.deepEqual(parse(got?.value), value);
    assertBytes(got?.value, json(value), 'the stored bytes come back unchanged');
  });

  suite.test('set and get arbitrary binary bytes', async (store) => {
    // Every byte value, then malformed UTF-8, a BOM, and bytes that look like JSON but are not.
    const samples = [
      Uint8Array.from({ length: 256 }, (_, index) => index),
      Uint8Array.from([0xc3, 0x28, 0xa0, 0xa1, 0xf0, 0x28, 0x8c, 0xbc]),
      Uint8Array.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
      new Uint8Array(Buffer.from('{"unterminated": ')),
      new Uint8Array(0),
    ];
    for (const [index, bytes] of samples.entries()) {
      const key = suite.key(`binary-${index}`);
      await store.set({ key, value: bytes });
      assertBytes((await store.get({ key }))?.value, bytes, `sample ${index} round-trips exactly`);
    }
  });

  suite.test('get of a missing key resolves undefined', async (store) => {
    assert.equal(await store.get({ key: suite.key('missing') }), undefined);
  });

  suite.test('overwrite changes the etag', async (store) => {
    const key = suite.key('overwrite');
    await store.set({ key, value: json(1) });
    const first = await store.get({ key });
    await store.set({ key, value: json(2) });
    const second = await store.get({ key });
    assert.ok(first?.etag && second?.etag, 'both reads carry an etag');
    assert.notEqual(second.etag, first.etag);
    assert.deepEqual(parse(second.value), 2);
  }, etags);

  suite.test('set with the current etag succeeds', async (store) => {
    const key = suite.key('etag-ok');
    await store.set({ key, value: json('a') });
    const current = await store.get({ key });
    await store.set({ key, value: json('b'), etag: current?.etag });
    assert.deepEqual(parse((await store.get({ key }))?.value), 'b');
  }, etags);

  suite.test('set with a stale etag fails with EtagMismatchError', async (store) => {
    const key = suite.key('etag-stale');
    await store.set({ key, value: json('a') });
    const stale = (await store.get({ key }))?.etag;
    await store.set({ key, value: json('b') });
    await assert.rejects(store.set({ key, value: json('c'), etag: stale }), EtagMismatchError);
    assert.deepEqual(parse((await store.get({ key }))?.value), 'b', 'the failed write changed nothing');
  }, etags);

  suite.test('set with an etag on a missing key fails with EtagMismatchError', async (store) => {
    const key = suite.key('etag-missing');
    await store.set({ key, value: json('a') });
    const etag = (await store.get({ key }))?.etag;
    await store.delete({ key });
    await assert.rejects(store.set({ key, value: json('b'), etag }), EtagMismatchError);
    assert.equal(await store.get({ key }), undefined);
  }, etags);

  suite.test('set with a malformed etag fails with EtagInvalidError', async (store) => {
    const key = suite.key('etag-malformed');
    await store.set({ key, value: json('a') });
    await assert.rejects(store.set({ key, value: json('b'), etag: 'not-a-valid-etag' }), EtagInvalidError);
  }, etags);

  suite.test('an ETag from before a delete does not match the re-created key', async (store) => {
    const key = suite.key('etag-recreated');
    await store.set({ key, value: json('a') });
    const old = (await store.get({ key }))?.etag;
    assert.ok(old, 'the first item carries an etag');
    await store.delete({ key });
    await store.set({ key, value: json('b') });
    await assert.rejects(store.set({ key, value: json('c'), etag: old }), EtagMismatchError);
    assert.deepEqual(parse((await store.get({ key }))?.value), 'b', 'the re-created item is unchanged');
  }, etags);

  suite.test('first-write on an existing key without etag fails', async (store) => {
    const key = suite.key('first-write-existing');
    await store.set({ key, value: json('a') });
    await assert.rejects(store.set({ key, value: json('b'), options: { concurrency: 'first-write' } }), EtagMismatchError);
    assert.deepEqual(parse((await store.get({ key }))?.value), 'a');
  }, etags);

  suite.test('first-write on a new key succeeds', async (store) => {
    const key = suite.key('first-write-new');
    await store.set({ key, value: json('a'), options: { concurrency: 'first-write' } });
    assert.deepEqual(parse((await store.get({ key }))?.value), 'a');
  }, etags);

  suite.test('first-write with the current etag succeeds', async (store) => {
    const key = suite.key('first-write-etag');
    await store.set({ key, value: json('a') });
    const etag = (await store.get({ key }))?.etag;
    await store.set({ key, value: json('b'), etag, options: { concurrency: 'first-write' } });
    assert.deepEqual(parse((await store.get({ key }))?.value), 'b');
  }, etags);

  suite.test('delete of a missing key succeeds', async (store) => {
    await store.delete({ key: suite.key('delete-missing') });
  });

  suite.test('delete with a stale etag fails with EtagMismatchError', async (store) => {
    const key = suite.key('delete-stale');
    await store.set({ key, value: json('a') });
    const stale = (await store.get({ key }))?.etag;
    await store.set({ key, value: json('b') });
    await assert.rejects(store.delete({ key, etag: stale }), EtagMismatchError);
    assert.deepEqual(parse((await store.get({ key }))?.value), 'b', 'the item is still there');
  }, etags);

  suite.test('delete with the current etag succeeds', async (store) => {
    const key = suite.key('delete-ok');
    await store.set({ key, value: json('a') });
    await store.delete({ key, etag: (await store.get({ key }))?.etag });
    assert.equal(await store.get({ key }), undefined);
  }, etags);
}

export function ttlTests(suite: ConformanceSuite): void {
  const ttl = hasFeature('TTL');

  suite.test('ttl: an item with ttlInSeconds=1 disappears', async (store) => {
    const key = suite.key('ttl-expire');
    await store.set({ key, value: json('short-lived'), metadata: { ttlInSeconds: '1' } });
    assert.ok(await store.get({ key }), 'visible right after the write');
    // Polls rather than sleeping: passes as soon as the item is gone, fails only after 5 s.
    await waitFor('the item to expire', async () => (await store.get({ key })) === undefined, 5000, 50);
  }, ttl);

  suite.test('ttl: get returns ttlExpireTime metadata', async (store) => {
    const key = suite.key('ttl-metadata');
    const before = Date.now();
    await store.set({ key, value: json('x'), metadata: { ttlInSeconds: '100' } });
    const after = Date.now();
    const expireTime = (await store.get({ key }))?.metadata?.ttlExpireTime;
    assert.ok(expireTime, 'ttlExpireTime is present');
    const expiresAt = Date.parse(expireTime);
    assert.ok(!Number.isNaN(expiresAt), `ttlExpireTime ${expireTime} is a timestamp`);
    // Dapr reports whole seconds, so allow one second either side.
    assert.ok(expiresAt >= before + 99_000 && expiresAt <= after + 101_000, `ttlExpireTime ${expireTime} is about 100 s ahead`);
  }, ttl);

  suite.test('ttl: ttlInSeconds=-1 means no expiry', async (store) => {
    const key = suite.key('ttl-never');
    await store.set({ key, value: json('forever'), metadata: { ttlInSeconds: '-1' } });
    const got = await store.get({ key });
    assert.deepEqual(parse(got?.value), 'forever');
    assert.equal(got?.metadata?.ttlExpireTime, undefined);
  }, ttl);

  suite.test('ttl: an overwrite without ttl clears the expiry', async (store) => {
    const key = suite.key('ttl-cleared');
    await store.set({ key, value: json('a'), metadata: { ttlInSeconds: '100' } });
    await store.set({ key, value: json('b') });
    assert.equal((await store.get({ key }))?.metadata?.ttlExpireTime, undefined);
  }, ttl);

  suite.test('ttl: a malformed ttlInSeconds fails with InvalidStateRequestError', async (store) => {
    const key = suite.key('ttl-malformed');
    await assert.rejects(store.set({ key, value: json('a'), metadata: { ttlInSeconds: 'abc' } }), InvalidStateRequestError);
    assert.equal(await store.get({ key }), undefined, 'nothing was written');
  }, ttl);
}
