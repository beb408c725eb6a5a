// The bindings API on the wire with plain HTTP: status codes, error bodies and headers of output
// bindings, and how input bindings ask for and deliver events to a plain app.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@outrigger/kit';
import { componentYaml } from '../harness/component-yaml.js';
import { call, errorOf } from '../harness/http.js';
import { freePort, testAppsDir, writeFile } from '../harness/processes.js';
import { startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

interface Seen {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

describe('bindings API on the wire', () => {
  const dir = tempDir();
  const filesDir = join(dir.path, 'files');
  let target: Server;
  let sidecar: SidecarHandle;
  let appPort: number;
  let api: string;

  before(async () => {
    // The http binding's target: answers 503 under /fail, 204 under /empty, else 200 with a JSON body.
    target = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url?.startsWith('/api/fail')) res.writeHead(503, { 'x-upstream': 'down' }).end('unavailable');
        else if (req.url?.startsWith('/api/empty')) res.writeHead(204).end();
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const resources = join(dir.path, 'resources');
    writeFile(join(resources, 'bindings.yaml'), [
      componentYaml('files', 'bindings.localstorage', { rootPath: filesDir }),
      componentYaml('web', 'bindings.http', { url: `http://127.0.0.1:${(target.address() as AddressInfo).port}/api` }),
      componentYaml('ticker', 'bindings.cron', { schedule: '* * * * * *' }),
      componentYaml('unwanted', 'bindings.cron', { schedule: '@every 1s' }),
      componentYaml('notallowed', 'bindings.cron', { schedule: '@every 1s' }),
      componentYaml('declared', 'bindings.cron', { schedule: '@every 1s', direction: 'input', route: '/declared-route' }),
    ].join(''));
    writeFile(join(dir.path, 'outside.txt'), 'outside');
    appPort = await freePort();
    sidecar = await startRun({
      appId: 'wired', resourcesPath: resources, home: join(dir.path, 'home'), appPort,
      appCommand: [process.execPath, join(testAppsDir, 'binding-recorder-app.mjs')], waitForApp: true,
    });
    api = `${sidecar.baseUrl}/v1.0/bindings`;
  });

  after(async () => {
    await sidecar?.stop();
    target?.closeAllConnections();
    await new Promise((resolve) => target?.close(resolve));
    dir.cleanup();
  });

  it('answers 200 with the bytes, or 204 when the binding has none, on POST and PUT', async () => {
    const created = await call('POST', `${api}/files`, { operation: 'create', data: 'abc def', metadata: { fileName: 'x.txt' } });
    assert.equal(created.status, 200);
    assert.equal(created.headers.get('content-type'), 'application/json');
    assert.deepEqual(created.json(), { fileName: 'x.txt' });
    const read = await call('PUT', `${api}/files`, { operation: 'get', metadata: { fileName: 'x.txt' } });
    assert.equal(read.status, 200);
    assert.equal(read.text, 'abc def');
    const removed = await call('POST', `${api}/files`, { operation: 'delete', metadata: { fileName: 'x.txt' } });
    assert.equal(removed.status, 204);
    assert.equal(removed.text, '');
  });

  it('refuses malformed bodies with 400 ERR_MALFORMED_REQUEST', async () => {
    for (const body of ['{not json', '', '[1,2]', '"create"', '{"operation":5}', '{"operation":"get","metadata":{"fileName":1}}', '{"operation":"get","metadata":[]}']) {
      const response = await call('POST', `${api}/files`, body);
      assert.equal(response.status, 400, body);
      assert.equal(errorOf(response).errorCode, 'ERR_MALFORMED_REQUEST', body);
      assert.match(errorOf(response).message, /^failed deserializing HTTP body: /, body);
    }
  });

  it('answers 500 ERR_INVOKE_OUTPUT_BINDING with daprd\'s messages for unknown bindings, operations and failures', async () => {
    const cases: [string, object, string][] = [
      ['nosuch', { operation: 'get' }, 'error invoking output binding nosuch: couldn\'t find output binding nosuch'],
      ['ticker', { operation: 'get' }, 'error invoking output binding ticker: couldn\'t find output binding ticker'],
      ['files', { data: 1 }, 'error invoking output binding files: operation field is missing from request'],
      ['files', { operation: 'rename' }, 'error invoking output binding files: binding files does not support operation rename. supported operations:create get list delete'],
      ['files', { operation: 'get', metadata: { fileName: 'missing.txt' } }, 'error invoking output binding files: file not found: missing.txt'],
    ];
    for (const [name, body, message] of cases) {
      const response = await call('POST', `${api}/${name}`, body);
      assert.equal(response.status, 500, message);
      assert.deepEqual(response.json(), { errorCode: 'ERR_INVOKE_OUTPUT_BINDING', message });
    }
  });

  it('refuses file names that leave rootPath and touches nothing outside it', async () => {
    for (const fileName of ['../outside.txt', '/etc/passwd', 'a/../../outside.txt', '..%2Foutside.txt', '%2e%2e%2foutside.txt']) {
      for (const operation of ['create', 'get', 'delete']) {
        const response = await call('POST', `${api}/files`, { operation, data: 'pwned', metadata: { fileName } });
        assert.equal(response.status, 500, `${operation} ${fileName}`);
        assert.equal(errorOf(response).errorCode, 'ERR_INVOKE_OUTPUT_BINDING');
        assert.match(errorOf(response).message, /is refused: it (resolves outside rootPath|must be a path relative to rootPath)/);
      }
    }
    assert.equal(readFileSync(join(dir.path, 'outside.txt'), 'utf8'), 'outside');
    assert.equal(existsSync(join(filesDir, 'outside.txt')), false);
  });

  it('sends response metadata as metadata.* headers, on errors too', async () => {
    const ok = await call('POST', `${api}/web`, { operation: 'get', metadata: { path: 'thing' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.text, '{"ok":true}');
    assert.equal(ok.headers.get('metadata.statuscode'), '200');
    assert.equal(ok.headers.get('metadata.content-type'), 'application/json');
    const empty = await call('POST', `${api}/web`, { operation: 'delete', metadata: { path: 'empty' } });
    assert.equal(empty.status, 200, 'the http binding always answers data, as in daprd');
    assert.equal(empty.headers.get('metadata.statuscode'), '204');
    const failed = await call('POST', `${api}/web`, { operation: 'post', data: { a: 1 }, metadata: { path: 'fail' } });
    assert.equal(failed.status, 500);
    assert.deepEqual(failed.json(), { errorCode: 'ERR_INVOKE_OUTPUT_BINDING', message: 'error invoking output binding web: received status code 503' });
    assert.equal(failed.headers.get('metadata.statuscode'), '503');
    assert.equal(failed.headers.get('metadata.x-upstream'), 'down');
  });

  it('shows INPUT_BINDING and OUTPUT_BINDING in the metadata API', async () => {
    const metadata = (await call('GET', `${sidecar.baseUrl}/v1.0/metadata`)).json() as { components: { name: string; capabilities: string[] }[] };
    const capabilities = Object.fromEntries(metadata.components.map((entry) => [entry.name, entry.capabilities]));
    assert.deepEqual(capabilities.files, ['OUTPUT_BINDING']);
    assert.deepEqual(capabilities.web, ['OUTPUT_BINDING']);
    assert.deepEqual(capabilities.ticker, ['INPUT_BINDING']);
  });

  it('asks the app with OPTIONS and delivers events as POST with JSON content type and metadata headers', async () => {
    const seen = await waitFor('two ticks of every wanted binding', async () => {
      const all = await (await fetch(`http://127.0.0.1:${appPort}/__seen`)).json() as Seen[];
      const posts = (path: string) => all.filter((request) => request.method === 'POST' && request.path === path).length;
      return posts('/ticker') >= 2 && posts('/notallowed') >= 2 && posts('/declared-route') >= 2 ? all : undefined;
    }, 15_000);
    const probes = seen.filter((request) => request.method === 'OPTIONS').map((request) => request.path).sort();
    assert.deepEqual(probes, ['/notallowed', '/ticker', '/unwanted'], 'direction: input skips the probe');
    assert.equal(seen.filter((request) => request.path === '/unwanted' && request.method === 'POST').length, 0, 'a 404 to OPTIONS means not subscribed');
    const tick = seen.find((request) => request.method === 'POST' && request.path === '/ticker') as Seen;
    assert.equal(tick.headers['content-type'], 'application/json');
    assert.equal(tick.headers.timezone, 'Local');
    assert.match(tick.headers.readtimeutc ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC$/);
    assert.equal(tick.body, '');
    assert.match(sidecar.process.output, /app has not subscribed to binding unwanted/);
  });
});
