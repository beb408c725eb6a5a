// Rewrites the generated metadata tables of docs/components/nats.md from the registrations:
// node components/nats/dist/render-docs.js
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ComponentRegistry, renderRegistrationSections, replaceGeneratedSection } from '@outrigger/components-api';
import { registerNatsComponents } from './index.js';

/** docs/components/nats.md, found from this compiled file (components/nats/dist). */
export const docsPath = join(dirname(fileURLToPath(import.meta.url)), '../../../docs/components/nats.md');

/** The document with its generated section replaced by the current rendering. */
export function renderedDocs(current: string): string {
  const registry = new ComponentRegistry();
  registerNatsComponents(registry);
  return replaceGeneratedSection(current, 'nats components', renderRegistrationSections(registry.registrations()));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(docsPath, renderedDocs(readFileSync(docsPath, 'utf8')));
  console.log(`wrote ${docsPath}`);
}
