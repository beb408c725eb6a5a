import { parseDuration } from '@outrigger/kit';
import type { MetadataField } from './component.js';

/** Raised when a component's metadata is invalid; names the field so the loader can report file, component and field. */
export class MetadataError extends Error {
  constructor(readonly field: string, message: string) {
    super(`metadata field "${field}": ${message}`);
    this.name = 'MetadataError';
  }
}

/**
 * Checks metadata against a component's field list: required fields present, typed fields well formed.
 * Unknown fields are allowed, as in Dapr (common fields such as `actorStateStore` pass through).
 * @throws MetadataError naming the first offending field.
 */
export function validateMetadata(fields: readonly MetadataField[], metadata: Readonly<Record<string, string>>): void {
  for (const field of fields) {
    const value = metadataValue(metadata, field.name, ...(field.aliases ?? []));
    if (value === undefined || value === '') {
      if (field.required) throw new MetadataError(field.name, 'is required');
      continue;
    }
    checkKind(field, value);
  }
}

function checkKind(field: MetadataField, value: string): void {
  const kind = field.kind ?? 'string';
  if (kind === 'integer' && !/^-?\d+$/.test(value.trim())) throw new MetadataError(field.name, `"${value}" is not an integer`);
  if (kind === 'boolean' && parseBoolean(value) === undefined) throw new MetadataError(field.name, `"${value}" is not a boolean`);
  if (kind === 'duration') {
    try {
      parseDuration(value);
    } catch {
      throw new MetadataError(field.name, `"${value}" is not a duration (for example 5s, 1m, 500ms)`);
    }
  }
  if (typeof kind === 'object' && !kind.oneOf.includes(value)) {
    throw new MetadataError(field.name, `"${value}" is not one of ${kind.oneOf.join(', ')}`);
  }
}

/** Dapr's truthy spellings for boolean metadata. */
export function parseBoolean(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const lower = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'y', 'on'].includes(lower)) return true;
  if (['false', '0', 'no', 'n', 'off', ''].includes(lower)) return false;
  return undefined;
}

/**
 * Case-insensitive metadata lookup, as Dapr's metadata decoding is case-insensitive.
 * With aliases, the first name (in argument order) that is present and non-empty wins.
 */
export function metadataValue(metadata: Readonly<Record<string, string>>, name: string, ...aliases: readonly string[]): string | undefined {
  let empty: string | undefined;
  for (const wanted of [name, ...aliases]) {
    const lower = wanted.toLowerCase();
    for (const [key, value] of Object.entries(metadata)) {
      if (key.toLowerCase() !== lower) continue;
      if (value !== '') return value;
      empty = value;
    }
  }
  return empty;
}
