// Distributed tracing end to end: an invocation app A → sidecar A → sidecar B → app B and a publish from
// sidecar A to app B's subscription carry the trace id app A sent, with consistent parent/child links,
// checked on what real receivers got: sidecar A exports to a Zipkin endpoint (POST /api/v2/spans, JSON v2),
// sidecar B over OTLP/HTTP (POST /v1/traces, JSON). A sidecar with samplingRate "0" exports nothing and
// passes the trace context on unchanged.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { waitFor } from '@outrigger/kit';
import { daprGrpcClient, waitForGrpcApi } from '../harness/grpc.js';
import { componentYaml } from '../harness/component-yaml.js';
import { call } from '../harness/http.js';
import { freePort, writeFile } from '../harness/processes.js';
import { sqlitePubSubYaml, startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

/** One span as either receiver got it. */
interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly id: string;
  readonly parentId: string | undefined;
  readonly name: string;
  readonly kind: string;
  /** Zipkin tags (span attributes); empty for OTLP spans. */
  readonly tags: Readonly<Record<string, string>>;
}

/** A span collector speaking Zipkin's v2 JSON API and OTLP/HTTP JSON on one port. */
class SpanReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** The `x-tenant` header of each OTLP request (the Configuration's `otel.headers`). */
  readonly otlpTenants: string[] = [];
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        if (req.method === 'POST' && req.url === '/api/v2/spans') this.spans.push(...fromZipkin(JSON.parse(body)));
        else if (req.method === 'POST' && req.url === '/v1/traces') {
          this.otlpTenants.push(String(req.headers['x-tenant']));
          this.spans.push(...fromOtlp(JSON.parse(body)));
        }
        else {
          res.writeHead(404).end();
          return;
        }
      } catch (error) {
        res.writeHead(400).end(String(error));
        return;
      }
      res.writeHead(req.url === '/v1/traces' ? 200 : 202, { 'content-type': 'application/json' }).end(req.url === '/v1/traces' ? '{}' : '');
    });
  });

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  of(traceId: string): ReceivedSpan[] {
    return this.spans.filter((span) => span.traceId === traceId);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

interface ZipkinSpan { traceId: string; id: string; parentId?: string; name: string; kind?: string; localEndpoint?: { serviceName?: string }; tags?: Record<string, string> }

function fromZipkin(spans: ZipkinSpan[]): ReceivedSpan[] {
  return spans.map((span) => ({
    service: span.localEndpoint?.serviceName ?? '', traceId: span.traceId, id: span.id, parentId: span.parentId, name: span.name, kind: span.kind ?? '',
    tags: span.tags ?? {},
  }));
}

interface OtlpRequest {
  resourceSpans: { resource?: { attributes?: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number }[] }[] }[];
}

/** OTLP JSON carries ids as hex (the spec) or, from some encoders, as base64. */
function hexId(id: string, bytes: number): string {
  return id.length === bytes * 2 ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex');
}

function fromOtlp(request: OtlpRequest): ReceivedSpan[] {
  const kinds = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
  return request.resourceSpans.flatMap((resourceSpans) => {
    const service = resourceSpans.resource?.attributes?.find((attribute) => attribute.key === 'service.name')?.value.stringValue ?? '';
    return resourceSpans.scopeSpans.flatMap((scope) => scope.spans.map((span) => ({
      service, traceId: hexId(span.traceId, 16), id: hexId(span.spanId, 8),
      parentId: span.parentSpanId ? hexId(span.parentSpanId, 8) : undefined, name: span.name, kind: kinds[span.kind] ?? String(span.kind), tags: {},
    })));
  });
}

function tracingConfiguration(samplingRate: string, exporter: string): string {
  return `---
apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: tracing
spec:
  tracing:
    samplingRate: "${samplingRate}"
${exporter}`;
}


/** `00-<trace id>-<parent id>-<flags>` split into its fields. */
function parse(traceparent: unknown): { traceId: string; parentId: string; flags: string } {
  assert.equal(typeof traceparent, 'string', 'a traceparent header');
  const [version, traceId, parentId, flags] = (traceparent as string).split('-');
  assert.equal(version, '00');
  return { traceId: traceId as string, parentId: parentId as string, flags: flags as string };
}

function randomHex(bytes: number): string {
  return Buffer.from(Array.from({ length: bytes }, () => Math.floor(Math.random() * 256))).toString('hex');
}

describe('distributed tracing', () => {
  const dir = tempDir();
  const home = join(dir.path, 'home');
  const receiver = new SpanReceiver();
  let appServer: Server;
  const invocations: { url: string; headers: IncomingHttpHeaders }[] = [];
  const events: { headers: IncomingHttpHeaders; body: Record<string, unknown> }[] = [];
  let caller: SidecarHandle;
  let callee: SidecarHandle;
  let silent: SidecarHandle | undefined;
  let silentApp: Server | undefined;
  let receiverPort = 0;
  let hookServer: Server | undefined;
  const hooks: IncomingHttpHeaders[] = [];
  const ticks: IncomingHttpHeaders[] = [];

  before(async () => {
    receiverPort = await receiver.listen();
    const brokerFile = join(dir.path, 'broker.db');
    const callerResources = join(dir.path, 'caller');
    const calleeResources = join(dir.path, 'callee');
    for (const resources of [callerResources, calleeResources]) writeFile(join(resources, 'pubsub.yaml'), sqlitePubSubYaml(brokerFile));
    const hookPort = await freePort();
    hookServer = createServer((req, res) => {
      hooks.push(req.headers);
      req.resume();
      req.on('end', () => res.end('{}'));
    });
    await new Promise<void>((resolve) => hookServer?.listen(hookPort, '127.0.0.1', resolve));
    writeFile(join(callerResources, 'hook.yaml'), componentYaml('hook', 'bindings.http', { url: `http://127.0.0.1:${hookPort}/hook` }));
    writeFile(join(calleeResources, 'tick.yaml'), componentYaml('tick', 'bindings.cron', { schedule: '@every 1s' }));
    writeFile(join(callerResources, 'config.yaml'), tracingConfiguration('1', `    zipkin:\n      endpointAddress: http://127.0.0.1:${receiverPort}/api/v2/spans\n`));
    writeFile(join(calleeResources, 'config.yaml'), tracingConfiguration('1',
      `    otel:\n      endpointAddress: 127.0.0.1:${receiverPort}\n      protocol: http\n      isSecure: false\n      headers:\n      - name: x-tenant\n        value: tests\n`));

    const appPort = await freePort();
    appServer = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        if (req.method === 'GET' && req.url === '/dapr/subscribe') {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([{ pubsubname: 'pubsub', topic: 'traced', route: '/events' }]));
          return;
        }
        if (req.url === '/tick') {
          if (req.method === 'POST') ticks.push(req.headers);
          res.writeHead(200).end();
          return;
        }
        if (req.url === '/events') events.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
        else invocations.push({ url: req.url ?? '', headers: req.headers });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => appServer.listen(appPort, '127.0.0.1', resolve));
    [callee, caller] = await Promise.all([
      startRun({ appId: 'tracecallee', resourcesPath: calleeResources, home, appPort, waitForApp: true }),
      startRun({ appId: 'tracecaller', resourcesPath: callerResources, home }),
    ]);
  });

  after(async () => {
    await Promise.all([callee?.stop(), caller?.stop(), silent?.stop()]);
    await Promise.all([appServer, silentApp, hookServer].map((server) => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))));
    await receiver.close();
    dir.cleanup();
  });

  it('follows an invocation across both sidecars into the other app under the caller\'s trace id', async () => {
    const traceId = randomHex(16);
    const appSpanId = randomHex(8);
    const answer = await call('POST', `${caller.baseUrl}/v1.0/invoke/tracecallee/method/hello`, { greeting: 'hi' }, {
      traceparent: `00-${traceId}-${appSpanId}-01`, tracestate: 'vendor=value',
    });
    assert.equal(answer.status, 200);
    const reached = invocations.find((invocation) => invocation.url === '/hello')?.headers;
    const seen = parse(reached?.traceparent);
    assert.equal(seen.traceId, traceId, 'app B is in app A\'s trace');
    assert.notEqual(seen.parentId, appSpanId, 'app B\'s parent is a sidecar span, not app A\'s');
    assert.equal(reached?.tracestate, 'vendor=value');

    const spans = await waitFor('both sidecars\' invocation spans', () => {
      const found = receiver.of(traceId);
      return found.some((span) => span.service === 'tracecaller') && found.some((span) => span.service === 'tracecallee') ? found : undefined;
    }, 30_000, 100);
    const outgoing = spans.find((span) => span.service === 'tracecaller');
    const incoming = spans.find((span) => span.service === 'tracecallee');
    assert.deepEqual([outgoing?.name, outgoing?.kind], ['CallLocal/tracecallee/hello', 'CLIENT']);
    assert.deepEqual([outgoing?.tags['rpc.service'], outgoing?.tags['net.peer.name'], outgoing?.tags['dapr.status_code']], ['ServiceInvocation', 'tracecallee', '200']);
    assert.deepEqual([incoming?.name, incoming?.kind], ['CallLocal/tracecallee/hello', 'SERVER']);
    assert.equal(outgoing?.parentId, appSpanId, 'sidecar A\'s span is the child of app A\'s');
    assert.equal(incoming?.parentId, outgoing?.id, 'sidecar B\'s span is the child of sidecar A\'s');
    assert.equal(seen.parentId, incoming?.id, 'app B\'s parent is sidecar B\'s span');
    assert.ok(receiver.otlpTenants.length > 0 && receiver.otlpTenants.every((tenant) => tenant === 'tests'), 'otel.headers sent with every OTLP export');
  });

  it('survives an invocation whose app id is broken percent-encoding', async () => {
    const answer = await call('POST', `${caller.baseUrl}/v1.0/invoke/bad%E0%A4%A/method/x`, 'x');
    assert.ok(answer.status >= 400, `status ${answer.status}`);
    const health = await call('GET', `${caller.baseUrl}/v1.0/healthz/outbound`);
    assert.equal(health.status, 204);
  });

  it('follows a publish from one sidecar to the subscriber app under the publisher\'s trace id', async () => {
    await waitFor('the subscription of app B', async () => {
      const metadata = await call('GET', `${callee.baseUrl}/v1.0/metadata`);
      const subscriptions = (metadata.json() as { subscriptions?: unknown[] }).subscriptions ?? [];
      return subscriptions.length > 0;
    }, 30_000, 100);
    const traceId = randomHex(16);
    const appSpanId = randomHex(8);
    const published = await call('POST', `${caller.baseUrl}/v1.0/publish/pubsub/traced`, { order: 1 }, {
      'content-type': 'application/json', traceparent: `00-${traceId}-${appSpanId}-01`,
    });
    assert.equal(published.status, 204);
    const event = await waitFor('the event at app B', () => events.find((received) => parse(received.headers.traceparent).traceId === traceId), 30_000, 50);
    const seen = parse(event.headers.traceparent);

    const spans = await waitFor('the publish and delivery spans', () => {
      const found = receiver.of(traceId);
      return found.some((span) => span.service === 'tracecaller') && found.some((span) => span.service === 'tracecallee') ? found : undefined;
    }, 30_000, 100);
    const publish = spans.find((span) => span.service === 'tracecaller');
    const delivery = spans.find((span) => span.service === 'tracecallee');
    assert.equal(publish?.name, '/v1.0/publish/pubsub/traced');
    assert.deepEqual([publish?.tags['messaging.system'], publish?.tags['messaging.destination.name']], ['pubsub', 'traced']);
    assert.equal(publish?.parentId, appSpanId, 'the publish span is the child of the publishing app\'s');
    // The stored CloudEvent carried the publish span (the delivery span's parent says so); the app gets it
    // with the delivery span's context, in the event and in the header alike.
    assert.equal(event.body.traceparent, event.headers.traceparent);
    assert.equal(delivery?.name, 'pubsub/traced');
    assert.equal(delivery?.parentId, publish?.id, 'the delivery span is the child of the publish span');
    assert.equal(seen.parentId, delivery?.id, 'the subscriber\'s parent is the delivery span');
  });

  it('carries traceparent and tracestate through a bulk publish to the subscriber', async () => {
    const traceId = randomHex(16);
    const published = await call('POST', `${caller.baseUrl}/v1.0-alpha1/publish/bulk/pubsub/traced`, [
      { entryId: '1', event: { order: 10 }, contentType: 'application/json' },
      { entryId: '2', event: { order: 11 }, contentType: 'application/json' },
    ], { 'content-type': 'application/json', traceparent: `00-${traceId}-${randomHex(8)}-01`, tracestate: 'vendor=bulk' });
    assert.equal(published.status, 204, published.text);
    const delivered = await waitFor('both entries at app B', () => {
      const found = events.filter((received) => parse(received.headers.traceparent).traceId === traceId);
      return found.length === 2 ? found : undefined;
    }, 30_000, 50);
    for (const event of delivered) assert.equal(event.headers.tracestate, 'vendor=bulk');
  });

  it('passes an output binding call\'s span to the component, which sends it on', async () => {
    const traceId = randomHex(16);
    const appSpanId = randomHex(8);
    const answer = await call('POST', `${caller.baseUrl}/v1.0/bindings/hook`, { operation: 'post', data: { order: 2 } }, {
      'content-type': 'application/json', traceparent: `00-${traceId}-${appSpanId}-01`,
    });
    assert.equal(answer.status, 200, answer.text);
    const seen = parse(hooks.at(-1)?.traceparent);
    assert.equal(seen.traceId, traceId);
    const span = await waitFor('the binding call\'s span', () => receiver.of(traceId).find((found) => found.service === 'tracecaller'), 30_000, 100);
    assert.deepEqual([span.name, span.kind, span.parentId], ['/v1.0/bindings/hook', 'CLIENT', appSpanId]);
    assert.deepEqual([span.tags['db.system'], span.tags['db.name']], ['bindings', 'hook']);
    assert.equal(seen.parentId, span.id, 'the component sent the API span as parent');
  });

  it('traces an input binding event into the app', async () => {
    const tick = await waitFor('a cron tick at app B', () => ticks.at(-1), 30_000, 50);
    const seen = parse(tick.traceparent);
    const span = await waitFor('the delivery span', () => receiver.of(seen.traceId).find((found) => found.name === 'bindings/tick'), 30_000, 100);
    assert.deepEqual([span.service, span.id], ['tracecallee', seen.parentId]);
  });

  it('traces a gRPC API call under the caller\'s trace id', async () => {
    await waitForGrpcApi(caller);
    const client = daprGrpcClient(caller.grpcPort);
    const traceId = randomHex(16);
    const appSpanId = randomHex(8);
    await client.publishEvent({ pubsubName: 'pubsub', topic: 'traced', data: new TextEncoder().encode('{"order":3}'), dataContentType: 'application/json' }, {
      headers: { traceparent: `00-${traceId}-${appSpanId}-01` },
    });
    const event = await waitFor('the event at app B', () => events.find((received) => parse(received.headers.traceparent).traceId === traceId), 30_000, 50);
    const spans = await waitFor('the gRPC publish and its delivery', () => {
      const found = receiver.of(traceId);
      return found.some((span) => span.service === 'tracecaller') && found.some((span) => span.service === 'tracecallee') ? found : undefined;
    }, 30_000, 100);
    const publish = spans.find((span) => span.service === 'tracecaller');
    const delivery = spans.find((span) => span.service === 'tracecallee');
    assert.deepEqual([publish?.name, publish?.kind, publish?.parentId], ['/dapr.proto.runtime.v1.Dapr/PublishEvent', 'CLIENT', appSpanId]);
    assert.deepEqual([publish?.tags['dapr.protocol'], publish?.tags['dapr.status_code'], publish?.tags['messaging.destination.name']], ['grpc', '0', 'traced']);
    assert.equal(delivery?.parentId, publish?.id);
    assert.equal(parse(event.headers.traceparent).parentId, delivery?.id);
  });

  it('traces a gRPC InvokeService call across both sidecars as CallLocal', async () => {
    await waitForGrpcApi(caller);
    const client = daprGrpcClient(caller.grpcPort);
    const traceId = randomHex(16);
    const appSpanId = randomHex(8);
    await client.invokeService({ id: 'tracecallee', message: { method: 'viagrpc', httpExtension: { verb: 2 /* POST */ } } }, {
      headers: { traceparent: `00-${traceId}-${appSpanId}-01` },
    });
    const seen = parse(invocations.find((invocation) => invocation.url === '/viagrpc')?.headers.traceparent);
    assert.equal(seen.traceId, traceId);
    const spans = await waitFor('both sidecars\' spans', () => {
      const found = receiver.of(traceId);
      return found.some((span) => span.service === 'tracecaller') && found.some((span) => span.service === 'tracecallee') ? found : undefined;
    }, 30_000, 100);
    const outgoing = spans.find((span) => span.service === 'tracecaller');
    const incoming = spans.find((span) => span.service === 'tracecallee');
    assert.deepEqual([outgoing?.name, outgoing?.kind, outgoing?.parentId], ['CallLocal/tracecallee/viagrpc', 'CLIENT', appSpanId]);
    assert.deepEqual([outgoing?.tags['rpc.service'], outgoing?.tags['net.peer.name']], ['ServiceInvocation', 'tracecallee']);
    assert.deepEqual([incoming?.name, incoming?.parentId], ['CallLocal/tracecallee/viagrpc', outgoing?.id]);
    assert.equal(seen.parentId, incoming?.id);
  });

  it('traces a proxied gRPC call through both sidecars into a gRPC app', async () => {
    const received: grpc.Metadata[] = [];
    const raw = (bytes: Buffer): Buffer => bytes;
    const grpcApp = new grpc.Server();
    grpcApp.addService({
      Say: { path: '/tracing.Echo/Say', requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw },
    }, {
      Say: (sayCall: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        received.push(sayCall.metadata);
        callback(null, sayCall.request);
      },
    });
    const grpcAppPort = await new Promise<number>((resolve, reject) => {
      grpcApp.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port)));
    });
    const resources = join(dir.path, 'grpcapp');
    writeFile(join(resources, 'config.yaml'), tracingConfiguration('1', `    zipkin:\n      endpointAddress: http://127.0.0.1:${receiverPort}/api/v2/spans\n`));
    const appSidecar = await startRun({ appId: 'tracegrpcapp', resourcesPath: resources, home, appPort: grpcAppPort, waitForApp: true, extraFlags: ['--app-protocol', 'grpc'] });
    const client = new grpc.Client(`127.0.0.1:${caller.grpcPort}`, grpc.credentials.createInsecure());
    try {
      const traceId = randomHex(16);
      const appSpanId = randomHex(8);
      const metadata = new grpc.Metadata();
      metadata.set('dapr-app-id', 'tracegrpcapp');
      metadata.set('traceparent', `00-${traceId}-${appSpanId}-01`);
      const echoed = await new Promise<Buffer>((resolve, reject) => {
        client.makeUnaryRequest('/tracing.Echo/Say', raw, raw, Buffer.from('hello'), metadata, (error, value) => (error || !value ? reject(error ?? new Error('no answer')) : resolve(value)));
      });
      assert.equal(echoed.toString(), 'hello');
      const seen = parse(received.at(-1)?.get('traceparent')[0]);
      assert.equal(seen.traceId, traceId);
      const spans = await waitFor('both sidecars\' spans of the proxied call', () => {
        const found = receiver.of(traceId);
        return found.some((span) => span.service === 'tracecaller') && found.some((span) => span.service === 'tracegrpcapp') ? found : undefined;
      }, 30_000, 100);
      const outgoing = spans.find((span) => span.service === 'tracecaller');
      const incoming = spans.find((span) => span.service === 'tracegrpcapp');
      assert.deepEqual([outgoing?.name, outgoing?.kind, outgoing?.parentId], ['/tracing.Echo/Say', 'CLIENT', appSpanId]);
      assert.deepEqual([incoming?.name, incoming?.kind, incoming?.parentId], ['/tracing.Echo/Say', 'SERVER', outgoing?.id]);
      assert.equal(incoming?.tags['dapr.status_code'], '0');
      assert.equal(seen.parentId, incoming?.id, 'the gRPC app\'s parent is the callee sidecar\'s span');
    } finally {
      client.close();
      await appSidecar.stop();
      grpcApp.forceShutdown();
    }
  });

  it('exports nothing at samplingRate "0" and passes the trace context on unchanged', async () => {
    const resources = join(dir.path, 'silent');
    writeFile(join(resources, 'config.yaml'), tracingConfiguration('0', `    zipkin:\n      endpointAddress: http://127.0.0.1:${receiverPort}/api/v2/spans\n`));
    const appPort = await freePort();
    const seen: IncomingHttpHeaders[] = [];
    silentApp = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((resolve) => silentApp?.listen(appPort, '127.0.0.1', resolve));
    const started = await startRun({ appId: 'tracesilent', resourcesPath: resources, home, appPort, waitForApp: true });
    silent = started;
    const traceparent = `00-${randomHex(16)}-${randomHex(8)}-01`;
    const answer = await call('POST', `${started.baseUrl}/v1.0/invoke/tracesilent/method/quiet`, 'x', { 'content-type': 'text/plain', traceparent });
    assert.equal(answer.status, 200);
    assert.equal(seen.at(-1)?.traceparent, traceparent);
    // Stopping flushes whatever a sidecar has batched: after it, anything exported would have arrived.
    await started.stop();
    silent = undefined;
    assert.deepEqual(receiver.spans.filter((span) => span.service === 'tracesilent'), []);
    assert.deepEqual(receiver.of(parse(traceparent).traceId), []);
  });
});
