import { z } from 'zod';
import { parseDuration } from '@outrigger/kit';

/** daprd's sampling rate when `samplingRate` is left out: one trace in 10 000. */
export const defaultSamplingRate = 0.0001;

function isRate(value: string | number): boolean {
  const text = String(value).trim();
  if (text === '') return false;
  const rate = Number(text);
  return Number.isFinite(rate) && rate >= 0 && rate <= 1;
}

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

function isDuration(value: string): boolean {
  try {
    return parseDuration(value) >= 0;
  } catch {
    return false;
  }
}

/**
 * `spec.tracing` of a Configuration: daprd's TracingSpec. Checked strictly, so a typo is reported by its
 * path at start-up instead of silently turning tracing off (daprd ignores an unknown protocol's exporter
 * and reads an unparsable rate as its default).
 */
export const tracingSpecSchema = z.object({
  samplingRate: z.union([z.string(), z.number()])
    .refine(isRate, 'must be a number from 0 to 1, written as a string such as "1" (every trace) or "0" (none)')
    .optional(),
  stdout: z.boolean().optional(),
  zipkin: z.object({
    endpointAddress: z.string().refine(isHttpUrl, 'must be the Zipkin URL, such as http://localhost:9411/api/v2/spans'),
  }).passthrough().optional(),
  otel: z.object({
    endpointAddress: z.string().min(1, 'must not be empty: host:port of the OTLP collector, such as localhost:4317'),
    protocol: z.enum(['http', 'grpc'], { message: 'must be "http" or "grpc"' }),
    isSecure: z.boolean().optional(),
    headers: z.array(z.object({ name: z.string().min(1, 'must not be empty'), value: z.string() }).passthrough()).optional(),
    timeout: z.string().refine(isDuration, 'must be a duration such as "10s"').optional(),
  }).passthrough().optional(),
}).passthrough();

export type TracingSpec = z.infer<typeof tracingSpecSchema>;

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
