import { parseDuration } from '@outrigger/kit';
import type { TracingSpec } from './tracing-schema.js';

export type { TracingSpec } from './tracing-schema.js';

/** daprd's sampling rate when `samplingRate` is left out: one trace in 10 000. */
export const defaultSamplingRate = 0.0001;


export interface OtelExportSettings {
  /** A full URL: the OTLP/HTTP traces URL (`…/v1/traces`) or the gRPC collector's address. */
  readonly url: string;
  readonly protocol: 'http' | 'grpc';
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number | undefined;
}

/** Tracing as the sidecar applies it; absent (see {@link tracingSettings}) means no spans at all. */
export interface TracingSettings {
  /** Probability that a trace without a sampled parent is recorded, 0 < rate ≤ 1. */
  readonly samplingRate: number;
  readonly stdout: boolean;
  readonly zipkinUrl: string | undefined;
  readonly otel: OtelExportSettings | undefined;
}

/**
 * The OTLP URL for daprd's `endpointAddress` (host and port, optionally with a scheme): the scheme
 * follows `isSecure` (daprd's default: secure), and HTTP gets the OTLP traces path unless one is given.
 */
export function otelUrl(endpointAddress: string, protocol: 'http' | 'grpc', isSecure: boolean): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpointAddress) ? endpointAddress : `${isSecure ? 'https' : 'http'}://${endpointAddress}`;
  if (protocol === 'grpc') return withScheme;
  const url = new URL(withScheme);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/traces';
  return url.toString();
}

/**
 * The tracing settings from the sidecar's Configurations (validated already). The last Configuration with
 * a `tracing` section wins (`--config` is loaded last). Tracing is off — no spans, trace context passed on
 * unchanged — without a `tracing` section, with `samplingRate: "0"`, or when no exporter is configured
 * (daprd then still makes spans for a null exporter; nothing could ever see them).
 */
export function tracingSettings(configurations: readonly { readonly spec: { readonly tracing?: TracingSpec | undefined } }[]): TracingSettings | undefined {
  const spec = [...configurations].reverse().find((configuration) => configuration.spec.tracing !== undefined)?.spec.tracing;
  if (!spec) return undefined;
  const samplingRate = spec.samplingRate === undefined ? defaultSamplingRate : Number(String(spec.samplingRate).trim());
  if (samplingRate === 0) return undefined;
  const stdout = spec.stdout === true;
  const zipkinUrl = spec.zipkin?.endpointAddress;
  const otel = spec.otel ? {
    url: otelUrl(spec.otel.endpointAddress, spec.otel.protocol, spec.otel.isSecure !== false),
    protocol: spec.otel.protocol,
    headers: Object.fromEntries((spec.otel.headers ?? []).map((header) => [header.name, header.value])),
    timeoutMs: spec.otel.timeout === undefined ? undefined : parseDuration(spec.otel.timeout),
  } : undefined;
  if (!stdout && zipkinUrl === undefined && otel === undefined) return undefined;
  return { samplingRate, stdout, zipkinUrl, otel };
}
