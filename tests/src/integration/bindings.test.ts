// Bindings with the official SDK beside an `outrigger run` sidecar: a DaprServer app receiving cron
// events (refusing the first), and a DaprClient driving the localstorage and http output bindings.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { waitFor } from '@outrigger/kit';
import { freePort, testAppsDir, writeFile } from '../harness/processes.js';
import { startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

interface CronEvents {
  refused: number;
  accepted: { at: number; body: unknown }[];
}

interface Hook {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** Component YAML for the three bindings: cron every second, files below `filesDir`, http to `hookUrl`. */
function bindingComponents(filesDir: string, hookUrl: string): string {
  return `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: mycron
spec:
  type: bindings.cron
  version: v1
  metadata:
  - name: schedule
    value: "@every 1s"
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: files
spec:
  type: bindings.localstorage
  version: v1
  metadata:
  - name: rootPath
    value: ${filesDir}
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: webhook
spec:
  type: bindings.http
  version: v1
  metadata:
  - name: url
    value: ${hookUrl}
`;
}

describe('bindings with the SDK (HTTP)', () => {
  const dir = tempDir();
  const filesDir = join(dir.path, 'files');
  const hooks: Hook[] = [];
  let hookServer: Server;
  let sidecar: SidecarHandle;
  let appPort: number;
  let client: DaprClient;

  before(async () => {
    hookServer = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        hooks.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(201, { 'content-type': 'application/json', 'x-hook': 'seen' });
        res.end(JSON.stringify({ accepted: true, count: hooks.length }));
      });
    });
    await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hooks`;
    const resources = join(dir.path, 'resources');
    writeFile(join(resources, 'bindings.yaml'), bindingComponents(filesDir, hookUrl));
    appPort = await freePort();
    sidecar = await startRun({
      appId: 'binder', resourcesPath: resources, home: join(dir.path, 'home'), appPort,
      appCommand: [process.execPath, join(testAppsDir, 'bindings-sdk-app.mjs')], waitForApp: true,
    });
    client = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(sidecar.httpPort), communicationProtocol: CommunicationProtocolEnum.HTTP, logger: { level: LogLevel.Error } });
  });

  after(async () => {
    await client?.stop();
    await sidecar?.stop();
    hookServer?.closeAllConnections();
    await new Promise((resolve) => hookServer?.close(resolve));
    dir.cleanup();
  });

  it('delivers cron ticks to server.binding.receive; a refused tick is logged and the next ones still arrive', async () => {
    const events = await waitFor('two accepted cron events after the refused one', async () => {
      const response = await fetch(`http://127.0.0.1:${appPort}/cron-events`);
      const seen = await response.json() as CronEvents;
      return seen.accepted.length >= 2 ? seen : undefined;
    }, 15_000);
    assert.equal(events.refused, 1);
    const [first, second] = events.accepted;
    assert.ok(first && second && second.at - first.at >= 500, 'ticks come about a second apart');
    await waitFor('the sidecar to log the refused tick', () => /did not take the tick.*status code: 500/.test(sidecar.process.output), 5_000);
    assert.match(sidecar.process.output, /input binding mycron delivers to the app at POST \/mycron/);
  });

  it('creates, reads, lists and deletes files through the localstorage binding', async () => {
    const created = await client.binding.send('files', 'create', 'hello from the SDK', { fileName: 'notes/a.txt' });
    assert.deepEqual(created, { fileName: join('notes', 'a.txt') });
    assert.equal(readFileSync(join(filesDir, 'notes', 'a.txt'), 'utf8'), 'hello from the SDK');
    assert.equal(await client.binding.send('files', 'get', undefined, { fileName: 'notes/a.txt' }), 'hello from the SDK');
    await client.binding.send('files', 'create', { kind: 'json' }, { fileName: 'b.json' });
    assert.deepEqual(await client.binding.send('files', 'get', undefined, { fileName: 'b.json' }), { kind: 'json' });
    const listed = await client.binding.send('files', 'list', undefined) as string[];
    assert.deepEqual(listed.map((path) => path.slice(path.lastIndexOf('files') + 'files'.length + 1)), ['b.json', join('notes', 'a.txt')]);
    await client.binding.send('files', 'delete', undefined, { fileName: 'notes/a.txt' });
    assert.equal(existsSync(join(filesDir, 'notes', 'a.txt')), false);
    await assert.rejects(client.binding.send('files', 'get', undefined, { fileName: 'notes/a.txt' }), /ERR_INVOKE_OUTPUT_BINDING.*file not found/);
    await assert.rejects(client.binding.send('files', 'get', undefined, { fileName: '../resources/bindings.yaml' }), /resolves outside rootPath/);
  });

  it('calls an HTTP endpoint through the http binding', async () => {
    const answer = await client.binding.send('webhook', 'post', { order: 7 }, { path: 'orders/7', 'X-Custom': 'yes' });
    assert.deepEqual(answer, { accepted: true, count: hooks.length });
    const hook = hooks.at(-1) as Hook;
    assert.equal(hook.method, 'POST');
    assert.equal(hook.url, '/hooks/orders/7');
    assert.deepEqual(JSON.parse(hook.body), { order: 7 });
    assert.equal(hook.headers['x-custom'], 'yes');
    await client.binding.send('webhook', 'get', undefined, { path: 'status' });
    assert.equal((hooks.at(-1) as Hook).method, 'GET');
  });
});
