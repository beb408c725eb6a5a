import { randomUUID } from 'node:crypto';
import type { JsonObject, MessageInitShape } from '@bufbuild/protobuf';
import {
  TopicEventResponse_TopicEventResponseStatus as TopicEventStatus,
  type TopicEventBulkRequestEntrySchema, type TopicEventBulkRequestSchema, type TopicEventCERequestSchema, type TopicEventRequestSchema,
} from '@dapr/dapr/proto/dapr/proto/runtime/v1/appcallback_pb.js';
import type { BulkEntry, DeliveryResult } from '../../blocks/pubsub/delivery.js';
import type { BulkTopicEventDelivery, TopicEventDelivery } from '../app-channel.js';

/** CloudEvent attributes that have their own fields; every other attribute goes into `extensions`. */
const ownFields = new Set(['id', 'source', 'datacontenttype', 'type', 'specversion', 'data', 'data_base64']);
const base64Text = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Raised for an event whose `data_base64` is not base64: daprd retries such a message. */
export class EnvelopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

function text(event: Readonly<Record<string, unknown>>, field: string): string {
  const value = event[field];
  return typeof value === 'string' ? value : '';
}

function mediaType(contentType: string): string {
  return contentType.split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * The event's data as bytes, as daprd puts it in `TopicEventRequest.data`: `data_base64` decoded;
 * `data` as its UTF-8 text for text/* and application/xml, as JSON for application/json and
 * application/cloudevents+json. For other content types daprd sends nothing; Outrigger sends a string
 * as its text and anything else as JSON rather than lose the payload. Bulk entries get the same
 * (daprd leaves `data_base64` out of bulk entries).
 * @throws EnvelopeError when `data_base64` is not base64
 */
export function eventData(event: Readonly<Record<string, unknown>>): Uint8Array {
  const encoded = event.data_base64;
  if (encoded !== undefined && encoded !== null) {
    if (typeof encoded !== 'string' || !base64Text.test(encoded)) throw new EnvelopeError('data_base64 is not base64 text');
    return Buffer.from(encoded, 'base64');
  }
  const data = event.data;
  if (data === undefined || data === null) return new Uint8Array();
  const media = mediaType(text(event, 'datacontenttype'));
  const isJson = media === 'application/json' || media === 'application/cloudevents+json';
  // A string is its own text unless the content type says JSON; a non-string is JSON (daprd refuses it for text/*).
  return Buffer.from(typeof data === 'string' && !isJson ? data : JSON.stringify(data), 'utf8');
}

/** The CloudEvent's other attributes, for `extensions` (a `google.protobuf.Struct`, whose init shape is JSON). */
export function eventExtensions(event: Readonly<Record<string, unknown>>): JsonObject {
  const extensions: JsonObject = {};
  for (const [key, value] of Object.entries(event)) {
    if (!ownFields.has(key) && value !== undefined) extensions[key] = value as JsonObject[string];
  }
  return extensions;
}

/** `OnTopicEvent`'s request for one event. @throws EnvelopeError */
export function topicEventRequest(delivery: TopicEventDelivery): MessageInitShape<typeof TopicEventRequestSchema> {
  const { event } = delivery;
  return {
    id: text(event, 'id'),
    source: text(event, 'source'),
    type: text(event, 'type'),
    specVersion: text(event, 'specversion'),
    dataContentType: text(event, 'datacontenttype'),
    data: eventData(event),
    topic: delivery.topic,
    pubsubName: delivery.pubsubName,
    path: delivery.path,
    extensions: eventExtensions(event),
  };
}

function cloudEventEntry(event: Readonly<Record<string, unknown>>): MessageInitShape<typeof TopicEventCERequestSchema> {
  return {
    id: text(event, 'id'),
    source: text(event, 'source'),
    type: text(event, 'type'),
    specVersion: text(event, 'specversion'),
    dataContentType: text(event, 'datacontenttype'),
    data: eventData(event),
    extensions: eventExtensions(event),
  };
}

/** One bulk entry: raw payloads as `bytes`, CloudEvents as `cloud_event`. @throws EnvelopeError */
export function bulkEntry(entry: BulkEntry): MessageInitShape<typeof TopicEventBulkRequestEntrySchema> {
  return {
    entryId: entry.entryId,
    event: typeof entry.event === 'string'
      ? { case: 'bytes', value: Buffer.from(entry.event, 'base64') }
      : { case: 'cloudEvent', value: cloudEventEntry(entry.event) },
    contentType: entry.contentType,
    metadata: { ...entry.metadata },
  };
}

/**
 * The bulk request for a batch, and the results of entries that could not be put in it (a broken
 * `data_base64`: retried, as daprd does).
 */
export function topicEventBulkRequest(delivery: BulkTopicEventDelivery): { request: MessageInitShape<typeof TopicEventBulkRequestSchema>; failed: Map<string, DeliveryResult> } {
  const failed = new Map<string, DeliveryResult>();
  const entries: MessageInitShape<typeof TopicEventBulkRequestEntrySchema>[] = [];
  for (const entry of delivery.entries) {
    try {
      entries.push(bulkEntry(entry));
    } catch (error) {
      failed.set(entry.entryId, { outcome: 'retry', detail: (error as Error).message });
    }
  }
  return {
    request: {
      id: randomUUID(), entries, metadata: {}, topic: delivery.topic, pubsubName: delivery.pubsubName, type: 'com.dapr.event.sent.bulk', path: delivery.path,
    },
    failed,
  };
}

/** A `TopicEventResponse` status as an outcome; a status the sidecar does not know is a retry, as in daprd. */
export function outcomeOfStatus(status: number): DeliveryResult {
  switch (status) {
    case TopicEventStatus.SUCCESS: return { outcome: 'success', detail: 'the app answered SUCCESS' };
    case TopicEventStatus.DROP: return { outcome: 'drop', detail: 'the app answered DROP' };
    case TopicEventStatus.RETRY: return { outcome: 'retry', detail: 'the app answered RETRY' };
    default: return { outcome: 'retry', detail: `the app answered unknown status ${status}` };
  }
}
