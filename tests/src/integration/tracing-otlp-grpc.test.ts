// Tracing exported over OTLP/gRPC (`otel.protocol: grpc`, `isSecure: false`) to a real gRPC server that
// implements the collector's TraceService/Export, decoding the protobuf request on the wire; the
// Configuration's `headers` arrive as call metadata.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import { BinaryReader } from '@bufbuild/protobuf/wire';
import * as grpc from '@grpc/grpc-js';
import { waitFor } from '@outrigger/kit';
import { call } from '../harness/http.js';
import { freePort, writeFile } from '../harness/processes.js';
import { startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

interface ExportedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly id: string;
  readonly parentId: string;
  readonly name: string;
  readonly kind: number;
}

/** Reads the fields of one protobuf message: field number → raw values (bytes for length-delimited ones). */
function fields(bytes: Uint8Array): Map<number, (Uint8Array | bigint)[]> {
  const reader = new BinaryReader(bytes);
  const found = new Map<number, (Uint8Array | bigint)[]>();
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    const value = wireType === 2 ? reader.bytes() : wireType === 0 ? BigInt(reader.uint64()) : (reader.skip(wireType), undefined);
    if (value !== undefined) found.set(field, [...found.get(field) ?? [], value]);
  }
  return found;
}

function bytesOf(message: Map<number, (Uint8Array | bigint)[]>, field: number): Uint8Array[] {
  return (message.get(field) ?? []).filter((value): value is Uint8Array => value instanceof Uint8Array);
}

const hex = (bytes: Uint8Array | undefined): string => Buffer.from(bytes ?? new Uint8Array()).toString('hex');
const text = (bytes: Uint8Array | undefined): string => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

/** ExportTraceServiceRequest → spans: resource_spans(1){resource(1){attributes(1)}, scope_spans(2){spans(2)}}. */
function decodeExport(request: Uint8Array): ExportedSpan[] {
  return bytesOf(fields(request), 1).flatMap((resourceSpansBytes) => {
    const resourceSpans = fields(resourceSpansBytes);
    let service = '';
    for (const resource of bytesOf(resourceSpans, 1)) {
      for (const attribute of bytesOf(fields(resource), 1)) {
        const keyValue = fields(attribute);
        if (text(bytesOf(keyValue, 1)[0]) === 'service.name') service = text(bytesOf(fields(bytesOf(keyValue, 2)[0] ?? new Uint8Array()), 1)[0]);
      }
    }
    return bytesOf(resourceSpans, 2).flatMap((scopeSpans) => bytesOf(fields(scopeSpans), 2).map((spanBytes) => {
      const span = fields(spanBytes);
      return {
        service, traceId: hex(bytesOf(span, 1)[0]), id: hex(bytesOf(span, 2)[0]), parentId: hex(bytesOf(span, 4)[0]),
        name: text(bytesOf(span, 5)[0]), kind: Number(span.get(6)?.[0] ?? 0),
      };
    }));
  });
}

const exportPath = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const raw = (bytes: Buffer): Buffer => bytes;

describe('tracing over OTLP/gRPC', () => {
  const dir = tempDir();
  const collector = new grpc.Server();
  const exported: ExportedSpan[] = [];
  const tenants: string[] = [];
  let appServer: Server;
  const seen: IncomingHttpHeaders[] = [];
  let sidecar: SidecarHandle;

  before(async () => {
    collector.addService({
      Export: { path: exportPath, requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw },
    }, {
      Export: (exportCall: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        tenants.push(...exportCall.metadata.get('x-tenant').map(String));
        exported.push(...decodeExport(exportCall.request));
        callback(null, Buffer.alloc(0));
      },
    });
    const collectorPort = await new Promise<number>((resolve, reject) => {
      collector.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port)));
    });
    const resources = join(dir.path, 'resources');
    writeFile(join(resources, 'config.yaml'), `apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: tracing
spec:
  tracing:
    samplingRate: "1"
    otel:
      endpointAddress: 127.0.0.1:${collectorPort}
      protocol: grpc
      isSecure: false
      headers:
      - name: x-tenant
        value: grpc-tests
`);
    const appPort = await freePort();
    appServer = createServer((req, res) => {
      seen.push(req.headers);
      req.resume();
      req.on('end', () => res.end('pong'));
    });
    await new Promise<void>((resolve) => appServer.listen(appPort, '127.0.0.1', resolve));
    sidecar = await startRun({ appId: 'traceotlp', resourcesPath: resources, home: join(dir.path, 'home'), appPort, waitForApp: true });
  });

  after(async () => {
    await sidecar?.stop();
    await new Promise<void>((resolve) => appServer?.close(() => resolve()));
    collector.forceShutdown();
    dir.cleanup();
  });

  it('exports the invocation span with the Configuration\'s headers as metadata', async () => {
    const traceId = Buffer.from(Array.from({ length: 16 }, (_, index) => index + 1)).toString('hex');
    const appSpanId = 'a1b2c3d4e5f60718';
    const answer = await call('POST', `${sidecar.baseUrl}/v1.0/invoke/traceotlp/method/ping`, 'x', { 'content-type': 'text/plain', traceparent: `00-${traceId}-${appSpanId}-01` });
    assert.equal(answer.status, 200);
    const span = await waitFor('the exported span', () => exported.find((found) => found.traceId === traceId), 30_000, 100);
    assert.deepEqual([span.service, span.name, span.kind, span.parentId], ['traceotlp', 'CallLocal/traceotlp/ping', 3 /* CLIENT */, appSpanId]);
    assert.equal(String(seen.at(-1)?.traceparent).split('-')[2], span.id, 'the app\'s parent is the exported span');
    assert.ok(tenants.includes('grpc-tests'), `x-tenant metadata: ${JSON.stringify(tenants)}`);
  });
});
