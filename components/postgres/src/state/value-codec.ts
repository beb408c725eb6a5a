/** Refuses malformed UTF-8 and keeps a BOM, so only text that re-encodes to the same bytes counts as text. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * JSON escapes that `jsonb` refuses although JSON.parse accepts them: `\u0000` and UTF-16 surrogates
 * that do not pair up. Over-matching (an escaped backslash before `u0000`) only makes a value binary, which is still lossless.
 */
const JSONB_UNSAFE = /\\u0000|\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}/;

/** How one value goes into Dapr's `value jsonb, isbinary boolean` columns. */
export interface EncodedValue {
  /** JSON text for `$n::jsonb`. */
  readonly json: string;
  readonly isBinary: boolean;
}

/**
 * Encodes the bytes of a save as Dapr's PostgreSQL store does: a JSON document goes into `value`
 * as is (`isbinary = false`, so queries can filter on it); anything else becomes a JSON string of
 * its base64 (`isbinary = true`). Dapr reads both forms back, and so does `decodeValue`.
 */
export function encodeValue(bytes: Uint8Array): EncodedValue {
  try {
    const text = strictUtf8.decode(bytes);
    JSON.parse(text);
    if (!JSONB_UNSAFE.test(text)) return { json: text, isBinary: false };
  } catch {
    // Not JSON: stored as binary below.
  }
  return { json: JSON.stringify(Buffer.from(bytes).toString('base64')), isBinary: true };
}

/**
 * Inverse of encodeValue, from the text of the `jsonb` column. PostgreSQL gives JSON back in its
 * own normal form (`{"a": 1}`: spaces after `:` and `,`, keys ordered by length), which is what
 * Dapr returns too; the document is equal, the bytes may not be.
 * @throws Error for a binary row whose value is not a base64 JSON string (written by another program).
 */
export function decodeValue(jsonText: string, isBinary: boolean): Uint8Array {
  if (!isBinary) return new Uint8Array(Buffer.from(jsonText, 'utf8'));
  const base64: unknown = JSON.parse(jsonText);
  if (typeof base64 !== 'string') throw new Error('binary state value is not a base64 JSON string');
  return new Uint8Array(Buffer.from(base64, 'base64'));
}
