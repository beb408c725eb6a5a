import type { MetadataField } from './component.js';
import type { ComponentRegistration } from './registry.js';

function kindText(field: MetadataField): string {
  const kind = field.kind ?? 'string';
  return typeof kind === 'object' ? kind.oneOf.filter((value) => value !== '').map((value) => `\`${value}\``).join(' / ') : kind;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A markdown table of metadata fields: name (aliases), kind, default (or "required"), meaning. */
export function renderMetadataTable(fields: readonly MetadataField[]): string {
  const rows = fields.map((field) => {
    const names = [`\`${field.name}\``, ...(field.aliases ?? []).map((alias) => `\`${alias}\``)];
    const name = names.length > 1 ? `${names[0]} (${names.slice(1).join(', ')})` : names[0];
    const fallback = field.required ? 'required' : field.default === undefined ? '' : `\`${field.default}\``;
    return `| ${name} | ${kindText(field)} | ${fallback} | ${cell(field.description)} |`;
  });
  return ['| field | kind | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/**
 * A `###` section per registration: type, aliases, versions, description and its metadata table.
 * Fields equal to one of `shared` (documented once elsewhere) are left out of the tables.
 */
export function renderRegistrationSections(registrations: readonly ComponentRegistration[], shared: readonly MetadataField[] = []): string {
  const sharedText = new Set(shared.map((field) => JSON.stringify(field)));
  return registrations.map((registration) => {
    const aliases = registration.aliases?.length ? ` (alias ${registration.aliases.map((alias) => `\`${alias}\``).join(', ')})` : '';
    const own = registration.metadata.filter((field) => !sharedText.has(JSON.stringify(field)));
    const usesShared = own.length < registration.metadata.length;
    const table = own.length === 0 ? 'The shared fields only.' : `${usesShared ? 'The shared fields, and:\n\n' : ''}${renderMetadataTable(own)}`;
    return `### \`${registration.type}\`${aliases}, version ${registration.versions.join(', ')}\n\n${registration.description}\n\n${table}`;
  }).join('\n\n');
}

/**
 * Replaces the text between the `<!-- generated: <name> begin -->` and `<!-- generated: <name> end -->`
 * lines of a document with `body`.
 * @throws Error when the document has no such section.
 */
export function replaceGeneratedSection(document: string, name: string, body: string): string {
  const begin = `<!-- generated: ${name} begin -->`;
  const end = `<!-- generated: ${name} end -->`;
  const start = document.indexOf(begin);
  const stop = document.indexOf(end);
  if (start < 0 || stop < start) throw new Error(`the document has no generated section "${name}" (${begin} ... ${end})`);
  return `${document.slice(0, start + begin.length)}\n\n${body}\n\n${document.slice(stop)}`;
}
