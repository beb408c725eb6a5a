import type { ConfigurationItem } from '@outrigger/components-api';

/** One change read from a trigger's notification. */
export interface ConfigurationChange {
  readonly key: string;
  readonly item: ConfigurationItem;
}

/** The `metadata` json of a row as string values; non-string values become their JSON text. */
export function metadataObject(value: unknown): Record<string, string> {
  let parsed = value;
  if (typeof value === 'string') {
    if (value === '') return {};
    try {
      parsed = JSON.parse(value);
    } catch {
      return {};
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  return Object.fromEntries(Object.entries(parsed).map(([key, item]) => [key, typeof item === 'string' ? item : JSON.stringify(item)]));
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Reads the payload Dapr's documented trigger sends: `{"table": ..., "action": "INSERT"|"UPDATE"|"DELETE",
 * "data": {"key": ..., "value": ..., "version": ..., "metadata": {...}}}`. Column names are matched
 * case-insensitively, as Dapr does. A DELETE comes out as an empty item, the contract's sign of a
 * removed key (Dapr passes the deleted row's old values on).
 * @returns undefined for a payload of another shape.
 */
export function parseNotification(payload: string): ConfigurationChange | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const envelope = lowerKeys(parsed as Record<string, unknown>);
  const data = envelope.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const row = lowerKeys(data as Record<string, unknown>);
  if (typeof row.key !== 'string') return undefined;
  if (String(envelope.action ?? '').toUpperCase() === 'DELETE') return { key: row.key, item: { value: '', version: '', metadata: {} } };
  return { key: row.key, item: { value: text(row.value), version: text(row.version), metadata: metadataObject(row.metadata) } };
}

function lowerKeys(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key.toLowerCase(), value]));
}
