// Rewrites the generated metadata tables of docs/components/mysql.md from the registrations:
// node components/mysql/dist/render-docs.js
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ComponentRegistry, renderRegistrationSections, replaceGeneratedSection } from '@outrigger/components-api';
import { registerMysqlComponents } from './index.js';

/** docs/components/mysql.md, found from this compiled file (components/mysql/dist). */
export const mysqlDocsPath = join(dirname(fileURLToPath(import.meta.url)), '../../../docs/components/mysql.md');

/** The document with its generated section replaced by the current rendering. */
export function renderedMysqlDocs(current: string): string {
  const registry = new ComponentRegistry();
  registerMysqlComponents(registry);
  return replaceGeneratedSection(current, 'mysql components', renderRegistrationSections(registry.registrations()));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(mysqlDocsPath, renderedMysqlDocs(readFileSync(mysqlDocsPath, 'utf8')));
  console.log(`wrote ${mysqlDocsPath}`);
}
