import { ComponentRegistry, type LazyComponentPackage } from '@outrigger/components-api';
import { registerHttpMiddleware } from './middleware/register-middleware.js';

/**
 * The component packages this build of Outrigger ships, one entry per package. Each is imported only
 * when a resource names one of its types, so a sidecar pays start-up time and memory only for the
 * client libraries it uses. The type lists are checked against what each package registers by a test.
 */
export const componentPackages: readonly LazyComponentPackage[] = [
  {
    types: ['state.in-memory', 'state.sqlite', 'state.sqlite3', 'pubsub.in-memory', 'pubsub.sqlite', 'lock.in-memory', 'lock.sqlite',
      'configuration.sqlite', 'secretstores.local.file', 'secretstores.local.env', 'bindings.cron', 'bindings.http', 'bindings.localstorage'],
    load: async (registry) => (await import('@outrigger/components-embedded')).registerEmbeddedComponents(registry),
  },
  {
    types: ['pubsub.rabbitmq', 'bindings.rabbitmq'],
    load: async (registry) => (await import('@outrigger/components-rabbitmq')).registerRabbitMqComponents(registry),
  },
  {
    types: ['pubsub.mqtt3', 'pubsub.mqtt', 'bindings.mqtt3', 'bindings.mqtt'],
    load: async (registry) => (await import('@outrigger/components-mqtt')).registerMqttComponents(registry),
  },
  {
    types: ['pubsub.jetstream'],
    load: async (registry) => (await import('@outrigger/components-nats')).registerNatsComponents(registry),
  },
  {
    types: ['state.postgresql', 'state.postgres', 'bindings.postgresql', 'bindings.postgres', 'configuration.postgresql', 'configuration.postgres'],
    load: async (registry) => (await import('@outrigger/components-postgres')).registerPostgresComponents(registry),
  },
  {
    types: ['state.mysql', 'bindings.mysql'],
    load: async (registry) => (await import('@outrigger/components-mysql')).registerMysqlComponents(registry),
  },
  {
    types: ['state.redis', 'pubsub.redis', 'bindings.redis', 'lock.redis', 'configuration.redis'],
    load: async (registry) => (await import('@outrigger/components-redis')).registerRedisComponents(registry),
  },
];

/** The registry of every component this build of Outrigger ships. */
export function createDefaultRegistry(): ComponentRegistry {
  const registry = new ComponentRegistry();
  for (const lazy of componentPackages) registry.registerLazy(lazy);
  registerHttpMiddleware(registry);
  return registry;
}
