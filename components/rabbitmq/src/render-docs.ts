// Rewrites the generated metadata tables of docs/components/rabbitmq.md from the registrations:
// node components/rabbitmq/dist/render-docs.js
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ComponentRegistry, renderRegistrationSections, replaceGeneratedSection } from '@outrigger/components-api';
import { registerRabbitMqComponents } from './index.js';

/** docs/components/rabbitmq.md, found from this compiled file (components/rabbitmq/dist). */
export const docsPath = join(dirname(fileURLToPath(import.meta.url)), '../../../docs/components/rabbitmq.md');

/** The document with its generated section replaced by the current rendering. */
export function renderedDocs(current: string): string {
  const registry = new ComponentRegistry();
  registerRabbitMqComponents(registry);
  return replaceGeneratedSection(current, 'rabbitmq components', renderRegistrationSections(registry.registrations()));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(docsPath, renderedDocs(readFileSync(docsPath, 'utf8')));
  console.log(`wrote ${docsPath}`);
}
