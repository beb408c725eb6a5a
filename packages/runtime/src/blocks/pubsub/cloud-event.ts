import { randomFillSync, randomUUID } from 'node:crypto';
import { daprError } from '@outrigger/kit';

/** A CloudEvents 1.0 envelope in its JSON form, with Dapr's extension attributes. */
export type CloudEvent = Record<string, unknown> & {
  id: string;
  specversion: string;
  source: string;
  type: string;
};

export interface EnvelopeInput {
  readonly appId: string;
  readonly pubsubName: string;
  readonly topic: string;
  readonly body: Buffer;
  /** The request's Content-Type; Dapr defaults it to text/plain. */
  readonly contentType: string | undefined;
  /** Request metadata; `cloudevent.*` entries override envelope fields, `ttlInSeconds` may set `expiration`. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly traceparent: string | undefined;
  readonly tracestate: string | undefined;
  /** Set when the broker cannot expire messages itself: the envelope then carries `expiration`. */
  readonly ttlInEnvelope: boolean;
}

const overridable = ['id', 'source', 'type', 'subject', 'traceid', 'traceparent', 'tracestate'] as const;

/** True for `application/json` and any `+json` media type. */
export function isJsonContentType(contentType: string): boolean {
  const media = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return media === 'application/json' || media.endsWith('+json');
}

function isTextContentType(contentType: string): boolean {
  const media = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return media.startsWith('text/') || media === 'application/xml' || media.endsWith('+xml');
}

/** Random bytes for trace ids, filled 256 ids at a time: one getrandom call per fill, not two per publish. */
const traceEntropy = Buffer.allocUnsafe(24 * 256);
let traceEntropyUsed = traceEntropy.length;

/** A new W3C traceparent, used when the caller sent none, so every event can be traced. */
export function newTraceparent(): string {
  if (traceEntropyUsed === traceEntropy.length) {
    randomFillSync(traceEntropy);
    traceEntropyUsed = 0;
  }
  const at = traceEntropyUsed;
  traceEntropyUsed += 24;
  return `00-${traceEntropy.toString('hex', at, at + 16)}-${traceEntropy.toString('hex', at + 16, at + 24)}-01`;
}

/**
 * Builds the envelope daprd builds for a publish: a new CloudEvent around the payload, or the
 * caller's own CloudEvent (`application/cloudevents+json`) completed with what it lacks.
 * @throws DaprError (ERR_PUBSUB_CLOUD_EVENTS_SER) when a body declared as a CloudEvent is not one.
 */
export function buildEnvelope(input: EnvelopeInput): CloudEvent {
  const contentType = input.contentType && input.contentType !== '' ? input.contentType : 'text/plain';
  const traceparent = input.traceparent ?? newTraceparent();
  let event: Record<string, unknown>;
  if (contentType.split(';')[0]?.trim().toLowerCase() === 'application/cloudevents+json') {
    event = parseCloudEvent(input.body);
  } else {
    event = { datacontenttype: contentType };
    if (isJsonContentType(contentType)) event.data = parseJsonData(input.body);
    else if (isTextContentType(contentType)) event.data = input.body.toString('utf8');
    else event.data_base64 = input.body.toString('base64');
  }
  const envelope: CloudEvent = {
    id: stringOr(event.id, randomUUID()),
    specversion: stringOr(event.specversion, '1.0'),
    source: stringOr(event.source, input.appId === '' ? 'Dapr' : input.appId),
    type: stringOr(event.type, 'com.dapr.event.sent'),
    ...event,
    topic: input.topic,
    pubsubname: input.pubsubName,
    traceid: stringOr(event.traceid, traceparent),
    traceparent: stringOr(event.traceparent, traceparent),
    time: stringOr(event.time, new Date().toISOString()),
  } as CloudEvent;
  const tracestate = typeof event.tracestate === 'string' ? event.tracestate : input.tracestate;
  if (tracestate) envelope.tracestate = tracestate;
  for (const field of overridable) {
    const value = input.metadata[`cloudevent.${field}`];
    if (value !== undefined && value !== '') envelope[field] = value;
  }
  const ttl = input.metadata.ttlInSeconds;
  if (input.ttlInEnvelope && ttl !== undefined && /^\d+$/.test(ttl) && Number(ttl) > 0) {
    envelope.expiration = new Date(Date.now() + Number(ttl) * 1000).toISOString();
  }
  return envelope;
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}

function parseJsonData(body: Buffer): unknown {
  const text = body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    // daprd keeps a body that claims JSON but is not as a string rather than refusing it.
    return text;
  }
}

function parseCloudEvent(body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw daprError('pubsubCloudEvents', (error as Error).message);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw daprError('pubsubCloudEvents', 'the body is not a JSON object');
  return parsed as Record<string, unknown>;
}

/** Reads a message from a broker as a CloudEvent; undefined when it is not one (a raw payload). */
export function readCloudEvent(data: Uint8Array): CloudEvent | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(data).toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && 'specversion' in parsed && 'id' in parsed) return parsed as CloudEvent;
  } catch {
    // not JSON: a raw payload
  }
  return undefined;
}

/** Wraps raw broker bytes in a CloudEvent with `data_base64`, as daprd does for `rawPayload` subscriptions. */
export function wrapRawPayload(data: Uint8Array, topic: string, pubsubName: string): CloudEvent {
  return {
    id: randomUUID(),
    specversion: '1.0',
    source: 'Dapr',
    type: 'com.dapr.event.sent',
    datacontenttype: 'application/octet-stream',
    data_base64: Buffer.from(data).toString('base64'),
    topic,
    pubsubname: pubsubName,
    time: new Date().toISOString(),
  };
}
