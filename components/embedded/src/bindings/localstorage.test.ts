import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testContext } from '../testing/context.js';
import { decodeContent, LocalStorageBinding } from './localstorage.js';

const text = (value: string) => new Uint8Array(Buffer.from(value, 'utf8'));
const jsonData = (value: unknown) => text(JSON.stringify(value));

describe('bindings.localstorage', () => {
  let base: string;
  let root: string;
  let outside: string;
  let binding: LocalStorageBinding;

  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'outrigger-localstorage-'));
    root = join(base, 'root');
    outside = join(base, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.txt'), 'top secret');
    binding = new LocalStorageBinding();
    await binding.init(testContext({ rootPath: root }));
  });

  after(async () => {
    await binding.close();
    rmSync(base, { recursive: true, force: true });
  });

  const invoke = (operation: string, metadata: Record<string, string> = {}, data = text('null')) => binding.invoke({ operation, metadata, data });
  const body = async (promise: ReturnType<typeof invoke>) => Buffer.from((await promise)?.data ?? []).toString('utf8');

  it('creates the root folder and writes, reads, lists and deletes files below it', async () => {
    assert.ok(existsSync(root));
    assert.deepEqual(JSON.parse(await body(invoke('create', { fileName: 'a/b.txt' }, jsonData('hello world')))), { fileName: join('a', 'b.txt') });
    assert.equal(readFileSync(join(root, 'a', 'b.txt'), 'utf8'), 'hello world');
    assert.equal(await body(invoke('get', { fileName: 'a/b.txt' })), 'hello world');
    await invoke('create', { fileName: 'c.json' }, jsonData({ n: 1 }));
    assert.equal(await body(invoke('get', { fileName: 'c.json' })), '{"n":1}');
    // As Dapr: absolute paths of every file, depth first in name order.
    assert.deepEqual(JSON.parse(await body(invoke('list'))), [join(root, 'a', 'b.txt'), join(root, 'c.json')]);
    assert.deepEqual(JSON.parse(await body(invoke('list', { fileName: 'a' }))), [join(root, 'a', 'b.txt')]);
    assert.equal(await invoke('delete', { fileName: 'a/b.txt' }), undefined);
    assert.equal(existsSync(join(root, 'a', 'b.txt')), false);
    await assert.rejects(invoke('get', { fileName: 'a/b.txt' }), /file not found: a\/b\.txt/);
    await assert.rejects(invoke('delete', { fileName: 'a/b.txt' }), /file not found/);
    await invoke('delete', { fileName: 'c.json' });
    await assert.rejects(invoke('list', { fileName: 'nosuch' }), /^Error: file not found: nosuch$/);
  });

  it('names a created file with a UUID when no fileName is given', async () => {
    const { fileName } = JSON.parse(await body(invoke('create', {}, jsonData('x')))) as { fileName: string };
    assert.match(fileName, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(readFileSync(join(root, fileName), 'utf8'), 'x');
    await invoke('delete', { fileName });
  });

  it('allows names that stay inside the root, such as a/../b.txt', async () => {
    assert.deepEqual(JSON.parse(await body(invoke('create', { fileName: 'a/../b.txt' }, jsonData('inside')))), { fileName: 'b.txt' });
    assert.equal(readFileSync(join(root, 'b.txt'), 'utf8'), 'inside');
    await invoke('delete', { fileName: 'b.txt' });
  });

  const escapes = [
    '../x', '../outside/secret.txt', '/etc/passwd', 'a/../../x', '..', './../x', 'a/b/../../../x',
    '..%2Fx', '%2e%2e%2fx', '%2E%2E/x', '%252e%252e%252fx', '%2Fetc%2Fpasswd', '..\\x', 'a\\..\\..\\x', 'x\0.txt',
  ];
  for (const fileName of escapes) {
    it(`refuses ${JSON.stringify(fileName)} for every operation and writes nothing`, async () => {
      for (const operation of ['create', 'get', 'delete', 'list']) {
        await assert.rejects(invoke(operation, { fileName }, jsonData('pwned')), { name: 'UnsafePathError' }, `${operation} ${fileName}`);
      }
      assert.equal(readFileSync(join(outside, 'secret.txt'), 'utf8'), 'top secret');
      assert.equal(existsSync(join(base, 'x')), false);
    });
  }

  it('refuses names that pass through a symlink leading outside the root', async () => {
    symlinkSync(outside, join(root, 'link-dir'));
    symlinkSync(join(outside, 'secret.txt'), join(root, 'link-file'));
    for (const [operation, fileName] of [['get', 'link-dir/secret.txt'], ['create', 'link-dir/new.txt'], ['get', 'link-file'],
      ['create', 'link-file'], ['delete', 'link-file'], ['list', 'link-dir']] as const) {
      await assert.rejects(invoke(operation, { fileName }, jsonData('pwned')), /symlink in it leads outside rootPath/, `${operation} ${fileName}`);
    }
    assert.equal(readFileSync(join(outside, 'secret.txt'), 'utf8'), 'top secret');
    assert.equal(existsSync(join(outside, 'new.txt')), false);
    // list does not follow the symlinked folder either, and names the link itself.
    assert.ok((JSON.parse(await body(invoke('list'))) as string[]).every((path) => path.startsWith(root)));
    rmSync(join(root, 'link-dir'));
    rmSync(join(root, 'link-file'));
  });

  it('refuses get and delete without a fileName, and the root itself', async () => {
    await assert.rejects(invoke('get'), /fileName is required/);
    await assert.rejects(invoke('delete'), /fileName is required/);
    await assert.rejects(invoke('delete', { fileName: '.' }), /names rootPath itself/);
    await assert.rejects(invoke('delete', { fileName: 'a/..' }), /names rootPath itself/);
    assert.ok(existsSync(root));
  });

  it('refuses a missing rootPath and system folders as the root', async () => {
    await assert.rejects(new LocalStorageBinding().init(testContext({})), /rootPath must not be empty/);
    await assert.rejects(new LocalStorageBinding().init(testContext({ rootPath: '/proc/self' })), /disallowed location/);
  });
});

describe('localstorage content decoding (as Dapr)', () => {
  it('unquotes JSON strings, decodes padded base64 and keeps other JSON as it is', () => {
    const decode = (value: string) => Buffer.from(decodeContent(text(value))).toString('utf8');
    assert.equal(decode('"hello world"'), 'hello world');
    assert.equal(decode(JSON.stringify(Buffer.from('binary\u0001').toString('base64'))), 'binary\u0001');
    assert.equal(decode('{"a":"b"}'), '{"a":"b"}');
    assert.equal(decode('"line\\nbreak"'), 'line\nbreak');
    assert.equal(decode('"abc"'), 'abc');
  });
});
