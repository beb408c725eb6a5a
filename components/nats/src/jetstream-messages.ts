import type { JsMsg } from '@nats-io/jetstream';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { PubSubMessage, PublishRequest } from '@outrigger/components-api';

/** Header carrying the publish's content type (NATS messages have no content-type property). */
const CONTENT_TYPE = 'Content-Type';

/**
 * The CloudEvent id of a payload, used as `Nats-Msg-Id` so the stream drops a duplicate publish
 * within its window, as daprd does; undefined when the payload is not a JSON object with a string id.
 */
export function cloudEventId(data: Uint8Array): string | undefined {
  if (data.length === 0 || data[0] !== 0x7b /* { */) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(data).toString('utf8')) as { id?: unknown };
    return typeof parsed.id === 'string' && parsed.id !== '' ? parsed.id : undefined;
  } catch {
    return undefined;
  }
}

/** Headers for a publish: the request metadata and content type, so subscribers get them back. */
export function publishHeaders(request: PublishRequest): MsgHdrs | undefined {
  const entries = Object.entries(request.metadata ?? {}).filter(([key, value]) => value !== '' && validHeader(key, value) && !key.toLowerCase().startsWith('nats-'));
  if (entries.length === 0 && !request.contentType) return undefined;
  const result = natsHeaders();
  for (const [key, value] of entries) result.set(key, value);
  if (request.contentType) result.set(CONTENT_TYPE, request.contentType);
  return result;
}

/** A pulled message as the runtime takes it: `Topic` (the subject, as daprd sets it) plus the headers as metadata. */
export function messageFromJetStream(message: JsMsg, topic: string): PubSubMessage {
  const metadata: Record<string, string> = {};
  let contentType: string | undefined;
  if (message.headers) {
    for (const [key, values] of message.headers) {
      const value = values[0];
      if (value === undefined || key.toLowerCase().startsWith('nats-')) continue;
      if (key === CONTENT_TYPE) contentType = value;
      else metadata[key] = value;
    }
  }
  metadata.Topic = message.subject;
  return { topic, data: message.data, contentType, metadata };
}

function validHeader(key: string, value: string): boolean {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key) && !/[\r\n]/.test(value);
}
