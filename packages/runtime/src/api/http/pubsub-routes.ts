// Dapr pub/sub publish API over HTTP: https://docs.dapr.io/reference/api/pubsub_api/
import { daprError } from '@outrigger/kit';
import type { BulkEntryInput, PubSubApi } from '../../blocks/pubsub/pubsub-api.js';
import { isJsonContentType } from '../../blocks/pubsub/cloud-event.js';
import { queryMetadata, readBody, readJson, sendEmpty, sendJson } from './http-io.js';
import type { RequestContext, RouteDefinition } from './route-types.js';

export function pubsubRoutes(pubsub: PubSubApi): RouteDefinition[] {
  return [
    { methods: ['POST', 'PUT'], path: '/publish/bulk/:pubsubName/*', versions: ['v1.0-alpha1', 'v1.0'], handler: (context) => bulkPublish(pubsub, context) },
    { methods: ['POST', 'PUT'], path: '/publish/:pubsubName/*', versions: ['v1.0'], handler: (context) => publish(pubsub, context) },
  ];
}

function header(context: RequestContext, name: string): string | undefined {
  const value = context.req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

async function publish(pubsub: PubSubApi, context: RequestContext): Promise<void> {
  const pubsubName = context.params.pubsubName ?? '';
  const topic = context.params['*'] ?? '';
  pubsub.resolve(pubsubName, topic);
  const body = await readBody(context.req, context.maxBodyBytes).catch((error: Error) => {
    throw daprError('malformedRequest', error.message);
  });
  await pubsub.publish({
    pubsubName, topic, body, contentType: header(context, 'content-type'), metadata: queryMetadata(context.query),
    traceparent: header(context, 'traceparent'), tracestate: header(context, 'tracestate'),
  });
  sendEmpty(context.res);
}

async function bulkPublish(pubsub: PubSubApi, context: RequestContext): Promise<void> {
  const pubsubName = context.params.pubsubName ?? '';
  const topic = context.params['*'] ?? '';
  pubsub.resolve(pubsubName, topic);
  const body = await readJson(context.req, context.maxBodyBytes);
  if (!Array.isArray(body)) throw daprError('pubsubEvents', topic, pubsubName, 'expected a JSON array of entries');
  const seen = new Set<string>();
  const entries: BulkEntryInput[] = body.map((raw: unknown, index) => {
    if (typeof raw !== 'object' || raw === null) throw daprError('pubsubEvents', topic, pubsubName, `entry ${index} is not an object`);
    const entry = caseInsensitive(raw as Record<string, unknown>);
    const entryId = entry.entryId;
    if (typeof entryId !== 'string' || entryId === '') throw daprError('pubsubEvents', topic, pubsubName, `entry ${index} has no entryId`);
    if (seen.has(entryId)) throw daprError('pubsubEvents', topic, pubsubName, `entryId ${entryId} is duplicated`);
    seen.add(entryId);
    const contentType = typeof entry.contentType === 'string' ? entry.contentType : undefined;
    const metadata = typeof entry.metadata === 'object' && entry.metadata !== null ? stringValues(entry.metadata as Record<string, unknown>) : {};
    return { entryId, event: eventBytes(entry.event, contentType), contentType, metadata };
  });
  const failed = await pubsub.bulkPublish(pubsubName, topic, entries, queryMetadata(context.query), header(context, 'traceparent'), header(context, 'tracestate'));
  if (failed.length === 0) {
    sendEmpty(context.res);
    return;
  }
  // `entryID` too: the JS SDK matches failed entries on that spelling.
  const failedEntries = failed.map((entry) => ({ entryId: entry.entryId, entryID: entry.entryId, error: entry.error }));
  sendJson(context.res, 500, { failedEntries, errorCode: 'ERR_PUBSUB_PUBLISH_MESSAGE' });
}

/**
 * daprd decodes request JSON with Go's case-insensitive field matching, so `entryID` (as the JS SDK
 * sends it) is `entryId`. Returns the entry with its known fields under their canonical names.
 */
function caseInsensitive(entry: Record<string, unknown>): Record<string, unknown> {
  const canonical = ['entryId', 'event', 'contentType', 'metadata'];
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) {
    const name = canonical.find((candidate) => candidate.toLowerCase() === key.toLowerCase()) ?? key;
    if (!(name in result) || key === name) result[name] = value;
  }
  return result;
}

/** A string event with a non-JSON content type is sent as its text; anything else as JSON. */
function eventBytes(event: unknown, contentType: string | undefined): Buffer {
  if (typeof event === 'string' && !(contentType && isJsonContentType(contentType))) return Buffer.from(event, 'utf8');
  return Buffer.from(JSON.stringify(event ?? null), 'utf8');
}

function stringValues(record: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]));
}
