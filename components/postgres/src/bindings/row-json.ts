import pg from 'pg';

/** Type ids of PostgreSQL's built-in types (pg_type.oid), for the ones converted specially. */
const OID = {
  bool: 16, bytea: 17, int8: 20, int2: 21, int4: 23, oid: 26, json: 114, float4: 700, float8: 701,
  date: 1082, timestamp: 1114, timestamptz: 1184, numeric: 1700, jsonb: 3802,
} as const;

const INTEGER_TYPES = new Set<number>([OID.int2, OID.int4, OID.int8, OID.oid]);
const DECIMAL_TYPES = new Set<number>([OID.float4, OID.float8, OID.numeric]);
/** Array types (`_int4`, `_text`, ...) that node-postgres knows how to parse. */
const ARRAY_TYPES = new Set<number>([1000, 1005, 1007, 1016, 1009, 1015, 1021, 1022, 1231, 1014, 2951, 199, 3807, 1182, 1115, 1185]);

/** Makes every column arrive as the server's text, so numbers keep their exact digits. */
export const rawTextTypes = { getTypeParser: () => (value: string) => value };

/**
 * The JSON Dapr's PostgreSQL binding answers a `query` with: an array of rows, each an array of
 * column values in column order. Values follow what Dapr's driver (pgx) produces: integers and
 * decimals as JSON numbers with every digit kept, booleans, json/jsonb embedded as JSON, bytea as
 * base64, timestamps as RFC 3339 text, NULL as null, everything else as its text.
 */
export function rowsToJson(fields: readonly { dataTypeID: number }[], rows: readonly (readonly (string | null)[])[]): string {
  const out = rows.map((row) => `[${row.map((value, index) => columnJson((fields[index] as { dataTypeID: number }).dataTypeID, value)).join(',')}]`);
  return `[${out.join(',')}]`;
}

function columnJson(oid: number, text: string | null): string {
  if (text === null) return 'null';
  if (oid === OID.bool) return text === 't' ? 'true' : 'false';
  if (INTEGER_TYPES.has(oid)) return text;
  // NaN and ±Infinity are not JSON numbers; they are given as text.
  if (DECIMAL_TYPES.has(oid)) return /^-?\d/.test(text) ? text.replace(/^(-?)\./, '$10.') : JSON.stringify(text);
  if (oid === OID.json || oid === OID.jsonb) return text;
  if (oid === OID.bytea) return JSON.stringify(byteaToBuffer(text).toString('base64'));
  if (oid === OID.timestamptz) return JSON.stringify(isoTimestamp(text, true));
  if (oid === OID.timestamp) return JSON.stringify(isoTimestamp(text, false));
  if (oid === OID.date) return JSON.stringify(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (ARRAY_TYPES.has(oid)) return JSON.stringify(pg.types.getTypeParser(oid, 'text')(text), (_key, value: unknown) => (value instanceof Date ? value.toISOString() : value));
  return JSON.stringify(text);
}

/** bytea in the server's `hex` output (`\x0aff`), or the older `escape` output. */
function byteaToBuffer(text: string): Buffer {
  if (text.startsWith('\\x')) return Buffer.from(text.slice(2), 'hex');
  const parsed: unknown = pg.types.getTypeParser(OID.bytea, 'text')(text);
  return Buffer.isBuffer(parsed) ? parsed : Buffer.from(text);
}

/**
 * `2024-01-02 03:04:05.123456+05:30` (ISO DateStyle) → `2024-01-02T03:04:05.123456+05:30`; a zero
 * offset, or a timestamp without zone, ends in `Z`, as Go prints UTC times. Other texts (infinity,
 * BC dates, non-ISO DateStyle) are returned unchanged.
 */
function isoTimestamp(text: string, withZone: boolean): string {
  const match = /^(\d{4,}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2})?(?::(\d{2}))?(?::(\d{2}))?$/.exec(text);
  if (!match) return text;
  const [, date, time, fraction = '', hours, minutes = '00', seconds] = match;
  const trimmedFraction = fraction.replace(/0+$/, '').replace(/^\.$/, '');
  if (!withZone || hours === undefined || (Number(hours) === 0 && Number(minutes) === 0 && !seconds)) return `${date}T${time}${trimmedFraction}Z`;
  return `${date}T${time}${trimmedFraction}${hours}:${minutes}${seconds ? `:${seconds}` : ''}`;
}
