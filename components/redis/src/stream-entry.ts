import type { PubSubMessage } from '@outrigger/components-api';
import type { Logger } from '@outrigger/kit';

/** One stream entry as XREADGROUP/XAUTOCLAIM answer it in buffer mode: the id, then field, value, field, value... */
export type StreamEntry = [Buffer, Buffer[]];

/*
 * The entry layout is Dapr's: field `data` holds the message bytes and `metadata` the publish metadata as
 * a JSON object, so daprd and Outrigger sidecars can publish to and consume from the same streams.
 * Outrigger adds `contentType` when the publish had one; daprd ignores fields it does not know.
 */

/** The fields of a new entry for XADD. */
export function encodeEntry(data: Uint8Array, contentType: string | undefined, metadata: Readonly<Record<string, string>> | undefined): (string | Buffer)[] {
  const fields: (string | Buffer)[] = ['data', Buffer.from(data.buffer, data.byteOffset, data.byteLength)];
  if (metadata !== undefined) fields.push('metadata', JSON.stringify(metadata));
  if (contentType) fields.push('contentType', contentType);
  return fields;
}

/** The message an entry holds. A missing `data` field gives empty data; unreadable metadata is logged and left out, as in Dapr. */
export function decodeEntry(topic: string, entry: StreamEntry, logger: Logger): PubSubMessage {
  const [id, values] = entry;
  let data: Uint8Array = new Uint8Array(0);
  let metadata: Record<string, string> | undefined;
  let contentType: string | undefined;
  for (let index = 0; index + 1 < values.length; index += 2) {
    const name = (values[index] as Buffer).toString();
    const value = values[index + 1] as Buffer;
    if (name === 'data') data = new Uint8Array(value);
    else if (name === 'contentType') contentType = value.toString();
    else if (name === 'metadata') metadata = parseMetadata(value, id.toString(), logger);
  }
  return { topic, data, ...(contentType ? { contentType } : {}), ...(metadata ? { metadata } : {}) };
}

function parseMetadata(value: Buffer, id: string, logger: Logger): Record<string, string> | undefined {
  try {
    const parsed: unknown = JSON.parse(value.toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    const metadata: Record<string, string> = {};
    for (const [key, item] of Object.entries(parsed)) if (typeof item === 'string') metadata[key] = item;
    return Object.keys(metadata).length > 0 ? metadata : undefined;
  } catch (error) {
    logger.warn(`redis streams: could not read the metadata of message ${id}: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}
