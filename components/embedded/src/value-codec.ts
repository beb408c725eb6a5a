/** Refuses malformed UTF-8 and keeps a BOM, so a successful decode re-encodes to the very same bytes. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * How a value is kept in the `value TEXT` column, as Dapr's sqlite store does: JSON as readable text
 * (`is_binary = 0`), anything else base64 (`is_binary = 1`). Both forms give back the exact bytes saved.
 */
export function encodeValue(bytes: Uint8Array): { readonly text: string; readonly isBinary: boolean } {
  try {
    const text = strictUtf8.decode(bytes);
    JSON.parse(text);
    return { text, isBinary: false };
  } catch {
    return { text: Buffer.from(bytes).toString('base64'), isBinary: true };
  }
}

/** Inverse of encodeValue; also reads rows written by Dapr itself. */
export function decodeValue(text: string, isBinary: number | bigint | boolean | null): Uint8Array {
  // A copy: small Buffers are views into a shared pool, which a caller should never reach.
  return new Uint8Array(isBinary ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8'));
}
