import type { FieldPacket } from 'mysql2';

/** MySQL protocol column types (`enum_field_types`) that need converting. */
const INTEGER_TYPES = new Set([1, 2, 3, 8, 9, 13]); // TINY, SHORT, LONG, LONGLONG, INT24, YEAR
const FLOAT_TYPES = new Set([4, 5]); // FLOAT, DOUBLE
const DATE_TYPE = 10;
const NEWDATE_TYPE = 14;
const DATETIME_TYPES = new Set([7, 12]); // TIMESTAMP, DATETIME
const JSON_TYPE = 245;
/** Numbers and times the server sends as ASCII text although their character set is `binary`. */
const TEXT_OF_BINARY_CHARSET = new Set([0, 246, 11]); // DECIMAL, NEWDECIMAL, TIME
const BIT_TYPE = 16;
const GEOMETRY_TYPE = 255;
/** The `binary` character set: the column holds bytes, not text. */
const BINARY_CHARSET = 63;

/**
 * The JSON Dapr's MySQL binding answers a `query` with: an array of objects keyed by column name,
 * columns that are NULL left out, and `null` (not `[]`) when there are no rows. Values follow Dapr's
 * Go driver: integers and floats as JSON numbers (every digit kept), DECIMAL as text,
 * DATE/DATETIME/TIMESTAMP as RFC 3339 UTC text, binary columns (BLOB, BINARY, BIT, geometry) as base64, the rest as text.
 * Rows arrive as raw bytes (`typeCast: false`, `rowsAsArray: true`) so nothing is rounded on the way.
 */
export function rowsToJson(fields: readonly FieldPacket[], rows: readonly (readonly (Buffer | null)[])[]): string {
  if (rows.length === 0) return 'null';
  const objects = rows.map((row) => {
    // A column name seen twice keeps its last value, as Go's map does.
    const members = new Map<string, string>();
    row.forEach((value, index) => {
      const field = fields[index] as FieldPacket;
      if (value !== null) members.set(field.name, columnJson(field, value));
    });
    return `{${[...members].map(([name, json]) => `${JSON.stringify(name)}:${json}`).join(',')}}`;
  });
  return `[${objects.join(',')}]`;
}

function columnJson(field: FieldPacket, value: Buffer): string {
  const type = field.columnType ?? field.type ?? -1;
  if (INTEGER_TYPES.has(type)) return value.toString('latin1');
  if (FLOAT_TYPES.has(type)) return floatJson(value.toString('latin1'));
  if (type === DATE_TYPE || type === NEWDATE_TYPE) return JSON.stringify(isoDateTime(`${value.toString('latin1')} 00:00:00`));
  if (DATETIME_TYPES.has(type)) return JSON.stringify(isoDateTime(value.toString('latin1')));
  // JSON columns are flagged binary by MySQL but hold UTF-8 text.
  if (type === JSON_TYPE) return JSON.stringify(value.toString('utf8'));
  if (TEXT_OF_BINARY_CHARSET.has(type)) return JSON.stringify(value.toString('latin1'));
  if (type === BIT_TYPE || type === GEOMETRY_TYPE || field.characterSet === BINARY_CHARSET) return JSON.stringify(value.toString('base64'));
  return JSON.stringify(value.toString('utf8'));
}

/** MySQL prints floats like `1e20` or `-1.5e-7`, which are JSON already; anything else (never expected) as text. */
function floatJson(text: string): string {
  return /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text) ? text : JSON.stringify(text);
}

/**
 * `2024-01-02 03:04:05.120000` → `2024-01-02T03:04:05.12Z`: the Go driver reads times as UTC and
 * prints them with Go's RFC3339Nano (trailing fraction zeros dropped). A zero date becomes Go's zero time.
 */
function isoDateTime(text: string): string {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d+))?$/.exec(text);
  if (!match) return text;
  const [, date, time, fraction = ''] = match;
  if (date === '0000-00-00') return '0001-01-01T00:00:00Z';
  const trimmed = fraction.replace(/0+$/, '');
  return `${date}T${time}${trimmed ? `.${trimmed}` : ''}Z`;
}
