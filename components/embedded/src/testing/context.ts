import type { ComponentContext } from '@outrigger/components-api';
import { createLogger } from '@outrigger/kit';

// One logger for all contexts: each pretty logger adds listeners to stdout, and tests make many contexts.
const logger = createLogger({ scope: 'test', level: 'silent' });

/** A component context for tests: the given metadata and a silent logger. */
export function testContext(metadata: Record<string, string> = {}): ComponentContext {
  return { name: 'test-store', metadata, appId: 'test-app', namespace: 'default', logger };
}
