// Wire-level checks of the state API with plain HTTP: status codes, headers and error bodies.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { waitFor } from '@outrigger/kit';
import { call, errorOf } from '../harness/http.js';
import { startRun, tempDir, writeStateComponents, type SidecarHandle } from '../harness/sidecars.js';

const unique = () => Math.random().toString(36).slice(2, 10);

describe('state API over HTTP (wire level)', () => {
  const dir = tempDir();
  let sidecar: SidecarHandle;
  let base: string;

  before(async () => {
    const resources = writeStateComponents(dir.path);
    sidecar = await startRun({ appId: 'wire', resourcesPath: resources, home: join(dir.path, 'home'), mode: 'sidecar' });
    base = `${sidecar.baseUrl}/v1.0/state`;
  });

  after(async () => {
    await sidecar?.stop();
    dir.cleanup();
  });

  for (const store of ['statestore', 'memstore']) {
    describe(`on ${store}`, () => {
      it('saves and gets a JSON value with an ETag; a string value comes back JSON-encoded', async () => {
        const key = unique();
        assert.equal((await call('POST', `${base}/${store}`, [{ key, value: { n: 1 } }, { key: `${key}-s`, value: 'abc' }])).status, 204);
        const got = await call('GET', `${base}/${store}/${key}`);
        assert.equal(got.status, 200);
        assert.deepEqual(got.json(), { n: 1 });
        assert.equal(got.headers.get('content-type'), 'application/json');
        assert.ok(got.headers.get('etag'), 'ETag header present');
        assert.equal((await call('GET', `${base}/${store}/${key}-s`)).text, '"abc"');
      });

      it('answers 204 with no body for a missing key', async () => {
        const got = await call('GET', `${base}/${store}/${unique()}`);
        assert.equal(got.status, 204);
        assert.equal(got.text, '');
        assert.equal(got.headers.get('etag'), null);
      });

      it('checks ETags on save: right → 204, stale → 409, malformed → 400', async () => {
        const key = unique();
        await call('POST', `${base}/${store}`, [{ key, value: 1 }]);
        const etag = (await call('GET', `${base}/${store}/${key}`)).headers.get('etag') as string;
        assert.equal((await call('POST', `${base}/${store}`, [{ key, value: 2, etag }])).status, 204);
        const stale = await call('POST', `${base}/${store}`, [{ key, value: 3, etag }]);
        assert.equal(stale.status, 409);
        assert.equal(errorOf(stale).errorCode, 'ERR_STATE_SAVE');
        const malformed = await call('POST', `${base}/${store}`, [{ key, value: 3, etag: 'not-a-version' }]);
        assert.equal(malformed.status, 400);
        assert.equal(errorOf(malformed).errorCode, 'ERR_STATE_SAVE');
        assert.equal((await call('GET', `${base}/${store}/${key}`)).text, '2');
      });

      it('first-write concurrency refuses to overwrite without an ETag', async () => {
        const key = unique();
        const options = { concurrency: 'first-write' };
        assert.equal((await call('POST', `${base}/${store}`, [{ key, value: 1, options }])).status, 204);
        assert.equal((await call('POST', `${base}/${store}`, [{ key, value: 2, options }])).status, 409);
        assert.equal((await call('GET', `${base}/${store}/${key}`)).text, '1');
      });

      it('refuses unknown concurrency and consistency values with ERR_STATE_SAVE', async () => {
        const response = await call('POST', `${base}/${store}`, [{ key: unique(), value: 1, options: { consistency: 'sometimes' } }]);
        assert.equal(response.status, 500);
        assert.match(errorOf(response).message, /unrecognized consistency model 'sometimes'/);
      });

      it('deletes with If-Match: stale → 409 ERR_STATE_DELETE, right → 204; missing key → 204', async () => {
        const key = unique();
        await call('POST', `${base}/${store}`, [{ key, value: 1 }]);
        const etag = (await call('GET', `${base}/${store}/${key}`)).headers.get('etag') as string;
        await call('POST', `${base}/${store}`, [{ key, value: 2 }]);
        const stale = await call('DELETE', `${base}/${store}/${key}`, undefined, { 'if-match': etag });
        assert.equal(stale.status, 409);
        assert.equal(errorOf(stale).errorCode, 'ERR_STATE_DELETE');
        const current = (await call('GET', `${base}/${store}/${key}`)).headers.get('etag') as string;
        assert.equal((await call('DELETE', `${base}/${store}/${key}`, undefined, { 'if-match': current })).status, 204);
        assert.equal((await call('GET', `${base}/${store}/${key}`)).status, 204);
        assert.equal((await call('DELETE', `${base}/${store}/${unique()}`)).status, 204);
      });

      it('applies metadata.ttlInSeconds from the query string and reports ttlExpireTime', async () => {
        const key = unique();
        assert.equal((await call('POST', `${base}/${store}?metadata.ttlInSeconds=1`, [{ key, value: 'short' }])).status, 204);
        const got = await call('GET', `${base}/${store}/${key}`);
        assert.equal(got.status, 200);
        assert.match(got.headers.get('metadata.ttlexpiretime') ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        await waitFor('the item to expire', async () => (await call('GET', `${base}/${store}/${key}`)).status === 204, 5_000, 100);
      });

      it('bulk-gets keys, with and without parallelism, reporting missing keys by key only', async () => {
        const key = unique();
        await call('POST', `${base}/${store}`, [{ key: `${key}1`, value: { a: 1 } }, { key: `${key}2`, value: 'two' }]);
        for (const body of [{ keys: [`${key}1`, `${key}2`, `${key}x`] }, { keys: [`${key}1`, `${key}2`, `${key}x`], parallelism: 2 }]) {
          const response = await call('POST', `${base}/${store}/bulk`, body);
          assert.equal(response.status, 200);
          const items = response.json() as { key: string; data?: unknown; etag?: string }[];
          assert.deepEqual(items.map((item) => [item.key, item.data]), [[`${key}1`, { a: 1 }], [`${key}2`, 'two'], [`${key}x`, undefined]]);
          assert.ok(items[0]?.etag);
        }
      });

      it('runs a transaction atomically; a stale ETag inside it applies nothing (500 ERR_STATE_TRANSACTION)', async () => {
        const key = unique();
        await call('POST', `${base}/${store}`, [{ key: `${key}-old`, value: 'old' }]);
        const ok = await call('POST', `${base}/${store}/transaction`, {
          operations: [{ operation: 'upsert', request: { key: `${key}-new`, value: 'new' } }, { operation: 'delete', request: { key: `${key}-old` } }],
        });
        assert.equal(ok.status, 204);
        assert.equal((await call('GET', `${base}/${store}/${key}-new`)).text, '"new"');
        assert.equal((await call('GET', `${base}/${store}/${key}-old`)).status, 204);
        const failed = await call('POST', `${base}/${store}/transaction`, {
          operations: [{ operation: 'upsert', request: { key: `${key}-a`, value: 'a' } }, { operation: 'upsert', request: { key: `${key}-new`, value: 'x', etag: '999999' } }],
        });
        assert.equal(failed.status, 500);
        assert.equal(errorOf(failed).errorCode, 'ERR_STATE_TRANSACTION');
        assert.equal((await call('GET', `${base}/${store}/${key}-a`)).status, 204, 'first operation rolled back');
        const unknown = await call('POST', `${base}/${store}/transaction`, { operations: [{ operation: 'merge', request: { key } }] });
        assert.equal(unknown.status, 400);
        assert.equal(errorOf(unknown).errorCode, 'ERR_NOT_SUPPORTED_STATE_OPERATION');
      });

      it('answers the alpha1 query API with filter, sort and paging', async () => {
        const tag = unique();
        const people = [{ name: 'ann', age: 31 }, { name: 'bob', age: 25 }, { name: 'cy', age: 40 }];
        await call('POST', `${base}/${store}`, people.map((person) => ({ key: `${tag}-${person.name}`, value: { ...person, tag } })));
        const url = `${sidecar.baseUrl}/v1.0-alpha1/state/${store}/query`;
        const first = await call('POST', url, { filter: { EQ: { tag } }, sort: [{ key: 'age', order: 'DESC' }], page: { limit: 2 } });
        assert.equal(first.status, 200);
        const page = first.json() as { results: { key: string; data: { name: string } }[]; token?: string };
        assert.deepEqual(page.results.map((item) => item.data.name), ['cy', 'ann']);
        assert.equal(page.results[0]?.key, `${tag}-cy`);
        const second = (await call('POST', url, { filter: { EQ: { tag } }, sort: [{ key: 'age', order: 'DESC' }], page: { limit: 2, token: page.token } })).json() as { results: { data: { name: string } }[] };
        assert.deepEqual(second.results.map((item) => item.data.name), ['bob']);
        assert.equal((await call('POST', url, { filter: { EQ: { tag: 'nobody' } } })).status, 204);
      });
    });
  }

  it('stores keys as appId||key in the backing store', async () => {
    const key = unique();
    await call('POST', `${base}/statestore`, [{ key, value: 1 }]);
    const db = new Database(join(dir.path, 'state.db'), { readonly: true });
    try {
      const row = db.prepare('SELECT key FROM state WHERE key = ?').get(`wire||${key}`);
      assert.ok(row, 'row stored under wire||key');
    } finally {
      db.close();
    }
  });

  it('refuses bad input with Dapr error codes', async () => {
    const unknownStore = await call('POST', `${base}/nope`, [{ key: 'a', value: 1 }]);
    assert.equal(unknownStore.status, 400);
    assert.equal(errorOf(unknownStore).errorCode, 'ERR_STATE_STORE_NOT_FOUND');
    const malformed = await call('POST', `${base}/statestore`, '{"key":');
    assert.equal(malformed.status, 400);
    assert.equal(errorOf(malformed).errorCode, 'ERR_MALFORMED_REQUEST');
    const notArray = await call('POST', `${base}/statestore`, { key: 'a', value: 1 });
    assert.equal(notArray.status, 400);
    const noKey = await call('POST', `${base}/statestore`, [{ value: 1 }]);
    assert.equal(noKey.status, 400);
    assert.equal(errorOf(noKey).message, '"key" is a required field');
    const badKey = await call('POST', `${base}/statestore`, [{ key: 'a||b', value: 1 }]);
    assert.equal(badKey.status, 400);
    assert.equal(errorOf(badKey).errorCode, 'ERR_MALFORMED_REQUEST');
    const badGetKey = await call('GET', `${base}/statestore/${encodeURIComponent('x||y')}`);
    assert.equal(badGetKey.status, 400);
    const badTtl = await call('POST', `${base}/statestore?metadata.ttlInSeconds=soon`, [{ key: unique(), value: 1 }]);
    assert.equal(badTtl.status, 500);
    assert.equal(errorOf(badTtl).errorCode, 'ERR_STATE_SAVE');
  });

  it('refuses a body over --dapr-http-max-request-size without buffering it', async () => {
    const big = JSON.stringify([{ key: 'big', value: 'x'.repeat(5 * 1024 * 1024) }]);
    const response = await call('POST', `${base}/statestore`, big);
    assert.equal(response.status, 400);
    assert.equal(errorOf(response).errorCode, 'ERR_MALFORMED_REQUEST');
    assert.match(errorOf(response).message, /stream too large/);
    assert.equal((await call('GET', `${base}/statestore/big`)).status, 204);
  });
});
