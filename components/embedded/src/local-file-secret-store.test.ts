import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SecretNotFoundError } from '@outrigger/components-api';
import { runSecretStoreConformance } from '@outrigger/components-api/conformance';
import { LocalFileSecretStore } from './local-file-secret-store.js';
import { testContext } from './testing/context.js';

const dir = mkdtempSync(join(tmpdir(), 'outrigger-secrets-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** Writes `content` (JSON-encoded unless a string) to a new file and returns its path. */
function secretsFile(content: unknown): string {
  const path = join(dir, `secrets-${files++}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function open(content: unknown, metadata: Record<string, string> = {}): Promise<LocalFileSecretStore> {
  const store = new LocalFileSecretStore();
  await store.init(testContext({ secretsFile: secretsFile(content), ...metadata }));
  return store;
}

runSecretStoreConformance({ name: 'secretstores.local.file', create: (secrets) => open(secrets) });

describe('secretstores.local.file', () => {
  it('flattens nested objects and arrays into names joined with the separator', async () => {
    const document = { db: { user: 'ada', password: 'pw', port: 5432, tls: true, none: null }, hosts: ['a', { name: 'b' }], top: 'x' };
    const store = await open(document);
    assert.deepEqual(await store.bulkGetSecret({}), {
      'db:user': { 'db:user': 'ada' }, 'db:password': { 'db:password': 'pw' }, 'db:port': { 'db:port': '5432' },
      'db:tls': { 'db:tls': 'true' }, 'db:none': { 'db:none': '' }, 'hosts:0': { 'hosts:0': 'a' }, 'hosts:1:name': { 'hosts:1:name': 'b' },
      top: { top: 'x' },
    });
    assert.deepEqual(await (await open(document, { nestedSeparator: '.' })).getSecret({ name: 'db.password' }), { 'db.password': 'pw' });
    assert.deepEqual(store.features(), []);
  });

  it('with multiValued, gives a top-level object as one secret of several keys', async () => {
    const store = await open({ db: { user: 'ada', nested: { deep: 'd' } }, single: 'one', dropped: 42 }, { multiValued: 'true' });
    assert.deepEqual(await store.getSecret({ name: 'db' }), { user: 'ada', 'nested:deep': 'd' });
    assert.deepEqual(await store.getSecret({ name: 'single' }), { single: 'one' });
    assert.deepEqual(Object.keys(await store.bulkGetSecret({})).sort(), ['db', 'single']);
    assert.deepEqual(store.features(), ['MULTIPLE_KEY_VALUES_PER_SECRET']);
  });

  it('fails a missing secret with Dapr\'s "secret <name> not found"', async () => {
    const store = await open({ present: 'yes' });
    await assert.rejects(store.getSecret({ name: 'absent' }), (error: unknown) => {
      assert.ok(error instanceof SecretNotFoundError);
      assert.equal(error.message, 'secret absent not found');
      return true;
    });
  });

  it('refuses at init a missing file, bad JSON, a non-object and names that collide', async () => {
    const missing = join(dir, 'does-not-exist.json');
    const cases: [Record<string, string>, RegExp][] = [
      [{ secretsFile: missing }, /cannot read secrets file .*does-not-exist\.json: ENOENT/],
      [{ secretsFile: secretsFile('{"unterminated": ') }, /cannot read secrets file/],
      [{ secretsFile: secretsFile(['a', 'b']) }, /must hold a JSON object/],
      [{ secretsFile: secretsFile({ 'a:b': '1', a: { b: '2' } }) }, /the name "a:b" twice/],
    ];
    for (const [metadata, expected] of cases) {
      await assert.rejects(new LocalFileSecretStore().init(testContext(metadata)), expected, JSON.stringify(metadata));
    }
  });
});
