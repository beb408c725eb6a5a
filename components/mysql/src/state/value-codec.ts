/** Refuses malformed UTF-8 and keeps a BOM, so only text that re-encodes to the same bytes counts as text. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** How one value goes into Dapr's `value JSON, isbinary BOOLEAN` columns. */
export interface EncodedValue {
  readonly json: string;
  readonly isBinary: boolean;
}

/**
 * Encodes the bytes of a save as Dapr's MySQL store does: a JSON document as is (`isbinary = 0`),
 * anything else, or a document the server refuses (`forceBinary`), as a JSON string of its base64.
 * MariaDB keeps the JSON text byte for byte; MySQL's JSON type returns it in its own normal form.
 */
export function encodeValue(bytes: Uint8Array, forceBinary = false): EncodedValue {
  if (!forceBinary) {
    try {
      const text = strictUtf8.decode(bytes);
      JSON.parse(text);
      return { json: text, isBinary: false };
    } catch {
      // Not JSON: binary below.
    }
  }
  return { json: JSON.stringify(Buffer.from(bytes).toString('base64')), isBinary: true };
}

/**
 * Inverse of encodeValue; reads rows written by Dapr too.
 * @throws Error for a binary row whose value is not a base64 JSON string.
 */
export function decodeValue(value: string | Buffer, isBinary: boolean): Uint8Array {
  const text = typeof value === 'string' ? value : value.toString('utf8');
  if (!isBinary) return new Uint8Array(Buffer.from(text, 'utf8'));
  const base64: unknown = JSON.parse(text);
  if (typeof base64 !== 'string') throw new Error('binary state value is not a base64 JSON string');
  return new Uint8Array(Buffer.from(base64, 'base64'));
}
