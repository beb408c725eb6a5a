import { z } from 'zod';
import { parseDuration } from '@outrigger/kit';

// Apart from tracing-config.ts so that reading the settings does not load zod: only resource
// validation (resource-schemas.ts) needs this schema.

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
