// Rewrites the generated metadata tables of docs/components/postgresql.md from the registrations:
// node components/postgres/dist/render-docs.js
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ComponentRegistry, renderMetadataTable, renderRegistrationSections, replaceGeneratedSection } from '@outrigger/components-api';
import { registerPostgresComponents } from './index.js';
import { postgresConnectionFields } from './pool-settings.js';

/** docs/components/postgresql.md, found from this compiled file (components/postgres/dist). */
export const postgresDocsPath = join(dirname(fileURLToPath(import.meta.url)), '../../../docs/components/postgresql.md');

/** The document with its generated sections replaced by the current rendering. */
export function renderedPostgresDocs(current: string): string {
  const registry = new ComponentRegistry();
  registerPostgresComponents(registry);
  const shared = replaceGeneratedSection(current, 'postgresql connection fields', renderMetadataTable(postgresConnectionFields));
  return replaceGeneratedSection(shared, 'postgresql components', renderRegistrationSections(registry.registrations(), postgresConnectionFields));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(postgresDocsPath, renderedPostgresDocs(readFileSync(postgresDocsPath, 'utf8')));
  console.log(`wrote ${postgresDocsPath}`);
}
