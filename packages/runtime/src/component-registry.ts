import { ComponentRegistry } from '@outrigger/components-api';
import { registerEmbeddedComponents } from '@outrigger/components-embedded';
import { registerRedisComponents } from '@outrigger/components-redis';

/** The registry of every component this build of Outrigger ships; one line per component package. */
export function createDefaultRegistry(): ComponentRegistry {
  const registry = new ComponentRegistry();
  registerEmbeddedComponents(registry);
  registerRedisComponents(registry);
  return registry;
}
