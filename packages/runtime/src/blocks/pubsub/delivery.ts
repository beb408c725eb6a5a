import { randomUUID } from 'node:crypto';
import { errorMessage } from '@outrigger/kit';
import type { HttpAppChannel } from '../../app-channel/http-app-channel.js';

/** What the sidecar does with a message after the app answered. */
export type Outcome = 'success' | 'retry' | 'drop';

export interface DeliveryResult {
  readonly outcome: Outcome;
  /** Why, for logs: the status, the app's answer or the connection error. */
  readonly detail: string;
}

const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const headerValue = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Broker metadata as request headers, leaving out names or values HTTP cannot carry. */
export function metadataAsHeaders(metadata: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata ?? {})) {
    if (headerName.test(name) && headerValue.test(value)) headers[name.toLowerCase()] = value;
  }
  return headers;
}

/**
 * Reads the app's answer as daprd does: 2xx with no body, a non-JSON body, or `{status: SUCCESS}` (or no
 * status) is success; `RETRY` retries; `DROP` drops; any other status word retries. 404 drops; any
 * other HTTP status retries.
 */
export function outcomeOf(status: number, body: Buffer): DeliveryResult {
  if (status === 404) return { outcome: 'drop', detail: 'the app answered 404' };
  if (status < 200 || status > 299) return { outcome: 'retry', detail: `the app answered ${status}` };
  const parsed = parseJson(body);
  const word = typeof parsed === 'object' && parsed !== null && 'status' in parsed ? String((parsed as { status: unknown }).status).toUpperCase() : '';
  if (word === '' || word === 'SUCCESS') return { outcome: 'success', detail: `the app answered ${status}` };
  if (word === 'DROP') return { outcome: 'drop', detail: 'the app answered DROP' };
  return { outcome: 'retry', detail: `the app answered status ${word}` };
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** POSTs one CloudEvent to the app; a connection failure is a retry. */
export async function deliverEvent(channel: HttpAppChannel, path: string, event: Record<string, unknown>, metadata: Readonly<Record<string, string>> | undefined): Promise<DeliveryResult> {
  const headers: Record<string, string> = { ...metadataAsHeaders(metadata), 'content-type': 'application/cloudevents+json' };
  if (typeof event.traceparent === 'string') headers.traceparent = event.traceparent;
  if (typeof event.tracestate === 'string') headers.tracestate = event.tracestate;
  try {
    const response = await channel.call('POST', path, headers, JSON.stringify(event));
    return outcomeOf(response.status, response.body);
  } catch (error) {
    return { outcome: 'retry', detail: `the app could not be reached: ${errorMessage(error)}` };
  }
}

export interface BulkEntry {
  readonly entryId: string;
  /** A CloudEvent, or the base64 of a raw payload. */
  readonly event: Record<string, unknown> | string;
  readonly contentType: 'application/cloudevents+json' | 'application/octet-stream';
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * POSTs a batch as daprd's bulk envelope and reads per-entry statuses; an entry missing from the
 * answer is a retry, 404 drops all, any other non-2xx retries all.
 */
export async function deliverBulk(channel: HttpAppChannel, path: string, topic: string, pubsubName: string, entries: readonly BulkEntry[]): Promise<Map<string, DeliveryResult>> {
  const envelope = { id: randomUUID(), type: 'com.dapr.event.sent.bulk', topic, pubsubname: pubsubName, metadata: {}, entries };
  const results = new Map<string, DeliveryResult>();
  const all = (result: DeliveryResult) => {
    for (const entry of entries) results.set(entry.entryId, result);
    return results;
  };
  let response;
  try {
    response = await channel.call('POST', path, { 'content-type': 'application/cloudevents+json' }, JSON.stringify(envelope));
  } catch (error) {
    return all({ outcome: 'retry', detail: `the app could not be reached: ${errorMessage(error)}` });
  }
  if (response.status === 404) return all({ outcome: 'drop', detail: 'the app answered 404' });
  if (response.status < 200 || response.status > 299) return all({ outcome: 'retry', detail: `the app answered ${response.status}` });
  const parsed = parseJson(response.body) as { statuses?: { entryId?: unknown; status?: unknown }[] } | undefined;
  const statuses = new Map((parsed?.statuses ?? []).map((item) => [String(item.entryId), String(item.status ?? '').toUpperCase()]));
  for (const entry of entries) {
    const word = statuses.get(entry.entryId);
    if (word === undefined) results.set(entry.entryId, { outcome: 'retry', detail: 'the app gave no status for the entry' });
    else if (word === 'SUCCESS') results.set(entry.entryId, { outcome: 'success', detail: 'SUCCESS' });
    else if (word === 'DROP') results.set(entry.entryId, { outcome: 'drop', detail: 'the app answered DROP' });
    else results.set(entry.entryId, { outcome: 'retry', detail: `the app answered status ${word}` });
  }
  return results;
}
