import type { ConsumeMessage, Options } from 'amqplib';
import { metadataValue } from '@outrigger/components-api';

/** Request metadata that sets an AMQP property (read case-insensitively, as daprd does) rather than a header. */
const PROPERTY_KEYS = new Set(['contenttype', 'messageid', 'correlationid', 'type', 'priority', 'ttlinseconds', 'routingkey']);

/**
 * AMQP properties for a published message, as daprd sets them: content type (metadata
 * `contentType`, else the request's, else text/plain), `messageID`, `correlationID`, `type`,
 * `priority`, the expiry from `ttlInSeconds` (else the component default), the delivery mode.
 * Other request metadata travels as string headers so subscribers receive it back.
 * @throws Error when `ttlInSeconds` or `priority` is not an integer (the publish fails instead of ignoring it).
 */
export function publishOptions(
  metadata: Readonly<Record<string, string>> | undefined,
  contentType: string | undefined,
  defaults: { readonly deliveryMode: number; readonly ttlMs?: number | undefined },
): Options.Publish {
  const given = metadata ?? {};
  const options: Options.Publish = {
    contentType: metadataValue(given, 'contentType') || contentType || 'text/plain',
    headers: Object.fromEntries(Object.entries(given).filter(([key]) => !PROPERTY_KEYS.has(key.toLowerCase()))),
  };
  if (defaults.deliveryMode > 0) options.deliveryMode = defaults.deliveryMode;
  const ttl = integer(given, 'ttlInSeconds');
  const ttlMs = ttl !== undefined && ttl > 0 ? ttl * 1000 : defaults.ttlMs;
  if (ttlMs !== undefined) options.expiration = String(ttlMs);
  const priority = integer(given, 'priority');
  if (priority !== undefined) options.priority = Math.max(0, Math.min(priority, 255));
  const messageId = metadataValue(given, 'messageID');
  if (messageId) options.messageId = messageId;
  const correlationId = metadataValue(given, 'correlationID');
  if (correlationId) options.correlationId = correlationId;
  const type = metadataValue(given, 'type');
  if (type) options.type = type;
  return options;
}

/**
 * Metadata handed to the runtime with a delivered message: the string headers, plus with
 * `publishMessagePropertiesToMetadata` daprd's `metadata.<property>` keys.
 */
export function deliveryMetadata(message: ConsumeMessage, withProperties: boolean): Record<string, string> {
  const result: Record<string, string> = {};
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(headers)) {
    if (typeof value === 'string') result[key] = value;
  }
  if (!withProperties) return result;
  const { messageId, correlationId, type, contentType } = message.properties as unknown as Record<string, unknown>;
  if (typeof messageId === 'string' && messageId) result['metadata.messageid'] = messageId;
  if (typeof correlationId === 'string' && correlationId) result['metadata.correlationid'] = correlationId;
  if (typeof type === 'string' && type) result['metadata.type'] = type;
  if (typeof contentType === 'string' && contentType) result['metadata.contenttype'] = contentType;
  for (const [key, value] of Object.entries(headers)) {
    if (value === null || value === undefined) continue;
    result[`metadata.${key}`] = Buffer.isBuffer(value) ? value.toString('utf8') : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return result;
}

function integer(metadata: Readonly<Record<string, string>>, name: string): number | undefined {
  const raw = metadataValue(metadata, name);
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^-?\d+$/.test(raw.trim())) throw new Error(`${name} value must be a valid integer: actual is '${raw}'`);
  return Number(raw);
}
