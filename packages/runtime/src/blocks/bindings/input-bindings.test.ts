import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createLogger, waitFor } from '@outrigger/kit';
import type { BindingEvent, BindingEventHandler, BindingReader, InputBinding } from '@outrigger/components-api';
import { HttpAppChannel } from '../../app-channel/http-app-channel.js';
import { createDefaultRegistry } from '../../component-registry.js';
import { ComponentHost } from '../../components/component-host.js';
import type { Located } from '../../resources/load-resources.js';
import type { ComponentResource } from '../../resources/resource-schemas.js';
import { bindingCapabilities } from './binding-components.js';
import { InputBindingRunner } from './input-bindings.js';

const logger = createLogger({ scope: 'test', level: 'silent' });

/** An input binding the test triggers by hand. */
class ManualBinding implements InputBinding {
  static readonly all = new Map<string, ManualBinding>();
  handler: BindingEventHandler | undefined;
  closed = false;
  async init(context: { name: string }): Promise<void> {
    ManualBinding.all.set(context.name, this);
  }
  async read(handler: BindingEventHandler): Promise<BindingReader> {
    this.handler = handler;
    return { close: async () => { this.closed = true; } };
  }
  async close(): Promise<void> {}
  emit(event: BindingEvent): Promise<void> {
    if (!this.handler) throw new Error('not reading');
    return this.handler(event);
  }
}

function resource(name: string, metadata: Record<string, string> = {}): Located<ComponentResource> {
  return {
    apiVersion: 'dapr.io/v1alpha1', kind: 'Component', metadata: { name },
    spec: { type: 'bindings.manual', version: 'v1', ignoreErrors: false, metadata: Object.entries(metadata).map(([key, value]) => ({ name: key, value })) },
    origin: { file: '/res/bindings.yaml' },
  } as Located<ComponentResource>;
}

interface Seen { method: string; url: string; headers: IncomingMessage['headers']; body: string }

describe('input bindings', () => {
  let app: Server;
  let channel: HttpAppChannel;
  let host: ComponentHost;
  const seen: Seen[] = [];
  let releaseSlow: (() => void) | undefined;

  before(async () => {
    app = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        answer(req, res);
      });
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    channel = new HttpAppChannel({ address: '127.0.0.1', port: (app.address() as AddressInfo).port, maxConcurrency: 0, appApiToken: undefined, maxBodyBytes: 1 << 20 });
    const registry = createDefaultRegistry();
    registry.register({ type: 'bindings.manual', block: 'bindings', versions: ['v1'], description: 'test', metadata: [], create: () => new ManualBinding() });
    host = new ComponentHost({ registry, logger, appId: 'app', namespace: '' });
    await host.initAll([
      resource('wanted'), resource('allowed405'), resource('unwanted'), resource('declared', { direction: 'input' }),
      resource('routed', { route: '/custom/path' }), resource('outputonly', { direction: 'output' }), resource('hangs'),
    ]);
  });

  after(async () => {
    await host.closeAll();
    app.closeAllConnections();
    await channel.close();
    await new Promise((resolve) => app.close(resolve));
  });

  function answer(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === 'OPTIONS') {
      if (req.url === '/hangs') return; // never answers: the probe must time out
      res.writeHead(req.url === '/allowed405' ? 405 : req.url === '/unwanted' || req.url === '/declared' ? 404 : 200);
      res.end();
      return;
    }
    if (req.headers['x-answer'] === 'slow') {
      releaseSlow = () => res.end();
      return;
    }
    const status = Number(req.headers['x-answer'] ?? 200);
    res.writeHead(status);
    res.end(status === 200 ? '' : 'app says no');
  }

  it('asks the app with OPTIONS, starts the wanted bindings, and skips the probe when direction says input', async () => {
    const runner = new InputBindingRunner({ components: host, appChannel: channel, logger, probeTimeoutMs: 300, drainTimeoutMs: 5_000 });
    await runner.start();
    assert.deepEqual(runner.active.sort(), ['allowed405', 'declared', 'routed', 'wanted']);
    const probed = seen.filter((request) => request.method === 'OPTIONS').map((request) => request.url).sort();
    assert.deepEqual(probed, ['/allowed405', '/custom/path', '/hangs', '/unwanted', '/wanted']);
    assert.deepEqual(bindingCapabilities(host.get('outputonly')!), []);
    assert.deepEqual(bindingCapabilities(host.get('wanted')!), ['INPUT_BINDING']);

    // Delivery: raw bytes, JSON content type, metadata as headers, the route as the path.
    const routed = ManualBinding.all.get('routed')!;
    await routed.emit({ data: new Uint8Array(Buffer.from('{"n":1}')), metadata: { 'x-event': 'e1', 'content-length': '999', 'bad\nname': 'x' } });
    const post = seen.at(-1)!;
    assert.equal(post.method, 'POST');
    assert.equal(post.url, '/custom/path');
    assert.equal(post.body, '{"n":1}');
    assert.equal(post.headers['content-type'], 'application/json');
    assert.equal(post.headers['x-event'], 'e1');

    // A non-2xx answer rejects the component's handler.
    await assert.rejects(ManualBinding.all.get('wanted')!.emit({ data: new Uint8Array(0), metadata: { 'x-answer': '500' } }),
      /status code: 500 body: app says no/);

    // Stop: readers close at once, the delivery in flight is waited for, later events are refused.
    const wanted = ManualBinding.all.get('wanted')!;
    const slow = wanted.emit({ data: new Uint8Array(0), metadata: { 'x-answer': 'slow' } });
    await waitFor('the slow delivery to reach the app', () => releaseSlow !== undefined);
    let stopped = false;
    const stopping = runner.stop().then(() => { stopped = true; });
    await waitFor('the readers to close', () => wanted.closed && routed.closed);
    assert.equal(stopped, false, 'stop must wait for the delivery in flight');
    releaseSlow!();
    await stopping;
    await slow;
    assert.equal(stopped, true);
    await assert.rejects(wanted.emit({ data: new Uint8Array(0), metadata: {} }), /input binding wanted is closed/);
  });

  it('reads nothing when the sidecar has no app', async () => {
    const runner = new InputBindingRunner({ components: host, appChannel: undefined, logger, probeTimeoutMs: 300, drainTimeoutMs: 1_000 });
    await runner.start();
    assert.deepEqual(runner.active, []);
    await runner.stop();
  });
});
