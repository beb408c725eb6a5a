// Rewrites the generated section of docs/components/redis.md from the registrations' metadata lists.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ComponentRegistry } from '@outrigger/components-api';
import { registerRedisComponents } from './index.js';
import { DOCS_BEGIN, DOCS_END, renderRedisComponentDocs } from './metadata-docs.js';
import { redisConnectionMetadata } from './settings.js';

/** docs/components/redis.md, found from this compiled file (components/redis/dist). */
export const redisDocsPath = join(dirname(fileURLToPath(import.meta.url)), '../../../docs/components/redis.md');

/** The doc with its generated section replaced by the current rendering. */
export function renderedRedisDocs(current: string): string {
  const registry = new ComponentRegistry();
  registerRedisComponents(registry);
  const start = current.indexOf(DOCS_BEGIN);
  const end = current.indexOf(DOCS_END);
  if (start < 0 || end < start) throw new Error(`${redisDocsPath} has no generated section (${DOCS_BEGIN} ... ${DOCS_END})`);
  return current.slice(0, start) + renderRedisComponentDocs(registry, redisConnectionMetadata) + current.slice(end + DOCS_END.length);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(redisDocsPath, renderedRedisDocs(readFileSync(redisDocsPath, 'utf8')));
  console.log(`wrote ${redisDocsPath}`);
}
