import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { createLogger } from '@outrigger/kit';
import { SidecarTracing, SpanKind, contextOf, endSpan } from './tracing.js';
import type { TracingSettings } from './tracing-config.js';

function capturedLogger(): { logger: ReturnType<typeof createLogger>; lines: () => string } {
  const destination = new PassThrough();
  const chunks: Buffer[] = [];
  destination.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { logger: createLogger({ scope: 'test', json: true, destination }), lines: () => Buffer.concat(chunks).toString('utf8') };
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function settings(zipkinUrl: string, samplingRate = 1): TracingSettings {
  return { samplingRate, stdout: false, zipkinUrl, otel: undefined };
}

describe('SidecarTracing', () => {
  it('continues the parent\'s trace and writes its own span into the carrier, keeping tracestate', async () => {
    const { logger } = capturedLogger();
    const tracing = await SidecarTracing.create(settings(`http://127.0.0.1:${await closedPort()}/api/v2/spans`), 'app', logger);
    const headers: Record<string, unknown> = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'v=1' };
    const span = tracing.start('op', SpanKind.CLIENT, headers, headers);
    assert.equal(span.isRecording(), true);
    const [, traceId, parentId, flags] = String(headers.traceparent).split('-');
    assert.equal(traceId, '0af7651916cd43dd8448eb211c80319c');
    assert.notEqual(parentId, 'b7ad6b7169203331');
    assert.equal(parentId, span.spanContext().spanId);
    assert.equal(flags, '01');
    assert.equal(headers.tracestate, 'v=1');
    endSpan(span);
    await tracing.shutdown();
  });

  it('starts a new trace without a parent, and follows a parent that was not sampled', async () => {
    const { logger } = capturedLogger();
    const tracing = await SidecarTracing.create(settings(`http://127.0.0.1:${await closedPort()}/api/v2/spans`), 'app', logger);
    const fresh = tracing.start('op', SpanKind.SERVER, {});
    assert.match(contextOf(fresh).traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    endSpan(fresh);
    const unsampled: Record<string, unknown> = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' };
    const span = tracing.start('op', SpanKind.CLIENT, unsampled, unsampled);
    assert.equal(span.isRecording(), false, 'parent-based sampling, as daprd');
    assert.match(String(unsampled.traceparent), /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-00$/);
    endSpan(span);
    await tracing.shutdown();
  });

  it('logs an exporter that cannot send, and its stop does not hang on it', async () => {
    const { logger, lines } = capturedLogger();
    const tracing = await SidecarTracing.create(settings(`http://127.0.0.1:${await closedPort()}/api/v2/spans`), 'app', logger);
    endSpan(tracing.start('op', SpanKind.CLIENT, undefined));
    const started = Date.now();
    await tracing.shutdown();
    assert.ok(Date.now() - started < 8000);
    assert.match(lines(), /sending 1 spans to zipkin http:\/\/127\.0\.0\.1:\d+\/api\/v2\/spans failed/);
  });
});
