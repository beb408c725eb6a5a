// Rewrites the generated metadata tables of docs/components/mqtt.md from the registrations:
// node components/mqtt/dist/render-docs.js
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ComponentRegistry, renderRegistrationSections, replaceGeneratedSection } from '@outrigger/components-api';
import { registerMqttComponents } from './index.js';

/** docs/components/mqtt.md, found from this compiled file (components/mqtt/dist). */
export const docsPath = join(dirname(fileURLToPath(import.meta.url)), '../../../docs/components/mqtt.md');

/** The document with its generated section replaced by the current rendering. */
export function renderedDocs(current: string): string {
  const registry = new ComponentRegistry();
  registerMqttComponents(registry);
  return replaceGeneratedSection(current, 'mqtt components', renderRegistrationSections(registry.registrations()));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(docsPath, renderedDocs(readFileSync(docsPath, 'utf8')));
  console.log(`wrote ${docsPath}`);
}
