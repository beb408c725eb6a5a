import { ROOT_CONTEXT, type TextMapPropagator, SpanKind, SpanStatusCode, defaultTextMapGetter, defaultTextMapSetter, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { BasicTracerProvider, ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { errorMessage, type Logger } from '@outrigger/kit';
import type { TracingSettings } from './tracing-config.js';
import { runtimeVersion } from '../version.js';

export { SpanKind };

/** Where a span's W3C trace context is read from and written to: headers, metadata, a CloudEvent. */
export type TraceCarrier = Record<string, unknown>;

/** How long the batch waits before sending spans: short, so traces show up while they are looked at. */
const exportDelayMs = 1000;
/** Longest the stop waits for the last spans: an unreachable collector must not hold the sidecar. */
const shutdownTimeoutMs = 5000;
/** A failing exporter is logged at most this often. */
const failureLogIntervalMs = 60_000;

/**
 * W3C trace context in and out of carriers. Set when the first tracer is built (with the rest of the
 * SDK, imported only then); spans, and so every caller of the functions below, exist only after that.
 */
let propagator: TextMapPropagator | undefined;
/** `ExportResultCode.FAILED`, read from the SDK with the propagator. */
let exportFailed: number | undefined;

/**
 * The sidecar's tracer: spans continue the W3C trace context found in a carrier and write their own
 * context back into it, so whatever passes the carrier on (headers to the app or the other sidecar, the
 * CloudEvent) carries the span as parent. Sampling is daprd's: parent-based, else by trace id ratio.
 * Only built when tracing is configured; without it the sidecar makes no spans at all.
 */
export class SidecarTracing {
  private readonly tracer: Tracer;

  /**
   * Builds the tracer and its exporters. The SDK and the exporters (with grpc-js and protobuf) are
   * imported here, only when tracing is configured: a sidecar without tracing never loads them.
   */
  static async create(settings: TracingSettings, appId: string, logger: Logger): Promise<SidecarTracing> {
    const [sdk, core, { resourceFromAttributes }, { ATTR_SERVICE_NAME }] = await Promise.all([
      import('@opentelemetry/sdk-trace-base'), import('@opentelemetry/core'), import('@opentelemetry/resources'), import('@opentelemetry/semantic-conventions'),
    ]);
    propagator ??= new core.W3CTraceContextPropagator();
    exportFailed = core.ExportResultCode.FAILED;
    const exporters = (await createExporters(settings, sdk.ConsoleSpanExporter)).map(({ name, exporter }) => new LoggedExporter(name, exporter, logger));
    const provider = new sdk.BasicTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: appId }),
      sampler: new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(settings.samplingRate) }),
      spanProcessors: exporters.map((exporter) => new sdk.BatchSpanProcessor(exporter, { scheduledDelayMillis: exportDelayMs })),
    });
    return new SidecarTracing(settings, provider, logger);
  }

  private constructor(settings: TracingSettings, private readonly provider: BasicTracerProvider, private readonly logger: Logger) {
    this.tracer = provider.getTracer('outrigger', runtimeVersion);
    const targets = [settings.stdout ? 'stdout' : '', settings.zipkinUrl ? `zipkin ${settings.zipkinUrl}` : '', settings.otel ? `otel/${settings.otel.protocol} ${settings.otel.url}` : ''];
    logger.info(`tracing on: sampling rate ${settings.samplingRate}, exporting to ${targets.filter(Boolean).join(', ')}`);
  }

  /**
   * Starts a span whose parent is the trace context in `parent` (a new trace when it has none) and, when
   * `carrier` is given, writes the span's context into it (`traceparent`, and `tracestate` when the parent had one).
   */
  start(name: string, kind: SpanKind, parent: TraceCarrier | undefined, carrier?: TraceCarrier, attributes?: Attributes): Span {
    const parentContext = parent && propagator ? propagator.extract(ROOT_CONTEXT, parent, defaultTextMapGetter) : ROOT_CONTEXT;
    const span = this.tracer.startSpan(name, { kind, attributes }, parentContext);
    if (carrier) writeContext(span, carrier);
    return span;
  }

  /** Sends the spans still batched and stops the exporters; called last when the sidecar stops. */
  async shutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.logger.warn(`the last spans were not all sent within ${shutdownTimeoutMs} ms`);
          resolve();
        }, shutdownTimeoutMs);
      });
      await Promise.race([this.provider.shutdown(), timedOut]);
    } catch (error) {
      this.logger.warn(`sending the last spans failed: ${errorMessage(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Writes the span's trace context into a carrier, replacing what was there. */
export function writeContext(span: Span, carrier: TraceCarrier): void {
  delete carrier.tracestate;
  propagator?.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
}

/** The span's W3C trace context as strings. */
export function contextOf(span: Span): { traceparent: string; tracestate: string | undefined } {
  const carrier: Record<string, string> = {};
  writeContext(span, carrier);
  return { traceparent: carrier.traceparent ?? '', tracestate: carrier.tracestate };
}

/** Ends a span with the status daprd gives an HTTP status: an error from 400 up. */
export function endWithHttpStatus(span: Span, status: number): void {
  if (span.isRecording()) {
    if (status >= 400) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${status}` });
    else span.setStatus({ code: SpanStatusCode.OK });
  }
  span.end();
}

/** Ends a span with an error (when `error` is given) or OK. */
export function endSpan(span: Span, error?: unknown): void {
  if (span.isRecording()) {
    span.setStatus(error === undefined ? { code: SpanStatusCode.OK } : { code: SpanStatusCode.ERROR, message: errorMessage(error) });
  }
  span.end();
}

/**
 * An exporter whose failures reach the sidecar's log (OpenTelemetry's own diagnostics are silent unless
 * set up), at most once a minute, so a collector that is down shows without flooding the log.
 */
class LoggedExporter implements SpanExporter {
  private lastLogged = 0;

  constructor(private readonly name: string, private readonly inner: SpanExporter, private readonly logger: Logger) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code === exportFailed && Date.now() - this.lastLogged >= failureLogIntervalMs) {
        this.lastLogged = Date.now();
        this.logger.warn(`tracing: sending ${spans.length} spans to ${this.name} failed: ${result.error ? errorMessage(result.error) : 'unknown error'}`);
      }
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

async function createExporters(settings: TracingSettings, ConsoleSpanExporter: new () => SpanExporter): Promise<{ name: string; exporter: SpanExporter }[]> {
  const exporters: { name: string; exporter: SpanExporter }[] = [];
  if (settings.stdout) exporters.push({ name: 'stdout', exporter: new ConsoleSpanExporter() });
  if (settings.zipkinUrl) {
    const { ZipkinExporter } = await import('@opentelemetry/exporter-zipkin');
    exporters.push({ name: `zipkin ${settings.zipkinUrl}`, exporter: new ZipkinExporter({ url: settings.zipkinUrl }) });
  }
  const otel = settings.otel;
  if (!otel) return exporters;
  const name = `otel/${otel.protocol} ${otel.url}`;
  const timeout = otel.timeoutMs === undefined ? {} : { timeoutMillis: otel.timeoutMs };
  if (otel.protocol === 'http') {
    const { OTLPTraceExporter: OtlpHttpExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    exporters.push({ name, exporter: new OtlpHttpExporter({ url: otel.url, headers: { ...otel.headers }, ...timeout }) });
  } else {
    const [{ OTLPTraceExporter: OtlpGrpcExporter }, { Metadata }] = await Promise.all([import('@opentelemetry/exporter-trace-otlp-grpc'), import('@grpc/grpc-js')]);
    const metadata = new Metadata();
    for (const [header, value] of Object.entries(otel.headers)) metadata.set(header, value);
    // The URL's scheme decides TLS: https (isSecure, daprd's default) or plain http.
    exporters.push({ name, exporter: new OtlpGrpcExporter({ url: otel.url, metadata, ...timeout }) });
  }
  return exporters;
}
