import { ComponentRegistry } from '@outrigger/components-api';
import { registerEmbeddedComponents } from '@outrigger/components-embedded';
import { registerMqttComponents } from '@outrigger/components-mqtt';
import { registerNatsComponents } from '@outrigger/components-nats';
import { registerRabbitMqComponents } from '@outrigger/components-rabbitmq';
import { registerMysqlComponents } from '@outrigger/components-mysql';
import { registerPostgresComponents } from '@outrigger/components-postgres';
import { registerRedisComponents } from '@outrigger/components-redis';

/** The registry of every component this build of Outrigger ships; one line per component package. */
export function createDefaultRegistry(): ComponentRegistry {
  const registry = new ComponentRegistry();
  registerEmbeddedComponents(registry);
  registerRabbitMqComponents(registry);
  registerMqttComponents(registry);
  registerNatsComponents(registry);
  registerPostgresComponents(registry);
  registerMysqlComponents(registry);
  registerRedisComponents(registry);
  return registry;
}
