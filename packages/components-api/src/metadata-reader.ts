import { parseDuration } from '@outrigger/kit';
import type { MetadataField } from './component.js';
import { MetadataError, metadataValue, parseBoolean } from './metadata.js';

/**
 * Typed reads of a component's metadata. A value missing or empty falls back to the field's
 * `default` in the component's field list, so the defaults the component uses are the ones its
 * registration (and the docs generated from it) show.
 */
export class MetadataReader {
  constructor(private readonly fields: readonly MetadataField[], private readonly metadata: Readonly<Record<string, string>>) {}

  private field(name: string): MetadataField {
    const field = this.fields.find((candidate) => candidate.name === name);
    // A name missing from the list is a bug in the component, not bad input.
    if (!field) throw new Error(`metadata field "${name}" is not in the component's field list`);
    return field;
  }

  /** The value as given (by name or alias), or the field's default; undefined when neither is set. */
  string(name: string): string | undefined {
    const field = this.field(name);
    const value = metadataValue(this.metadata, field.name, ...(field.aliases ?? []));
    return value === undefined || value === '' ? field.default : value;
  }

  /** True when the metadata sets the field (by name or alias) to a non-empty value. */
  has(name: string): boolean {
    const field = this.field(name);
    const value = metadataValue(this.metadata, field.name, ...(field.aliases ?? []));
    return value !== undefined && value !== '';
  }

  /** @throws MetadataError when the value is not one of Dapr's boolean spellings. */
  boolean(name: string): boolean {
    const raw = this.string(name);
    if (raw === undefined) return false;
    const value = parseBoolean(raw);
    if (value === undefined) throw new MetadataError(name, `"${raw}" is not a boolean`);
    return value;
  }

  /** @throws MetadataError when the value is not an integer. */
  integer(name: string): number | undefined {
    const raw = this.string(name)?.trim();
    if (raw === undefined) return undefined;
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw new MetadataError(name, `"${raw}" is not an integer`);
    return Number(raw);
  }

  /** A Go duration or a bare number of seconds, as milliseconds. @throws MetadataError when it is neither. */
  durationMs(name: string): number | undefined {
    const raw = this.string(name);
    if (raw === undefined) return undefined;
    try {
      return parseDuration(raw);
    } catch {
      throw new MetadataError(name, `"${raw}" is not a duration (for example 5s, 1m, 500ms)`);
    }
  }
}
