import type { ComponentRegistry } from '@outrigger/components-api';
import { RedisBinding, redisBindingMetadata } from './binding-redis.js';
import { RedisConfigurationStore, redisConfigurationMetadata } from './configuration-redis.js';
import { RedisLockStore, redisLockMetadata } from './lock-redis.js';
import { RedisPubSub } from './pubsub-redis.js';
import { redisPubSubMetadata } from './pubsub-settings.js';
import { RedisStateStore, redisStateMetadata } from './state-redis.js';

export { RedisStateStore, redisStateMetadata } from './state-redis.js';
export { RedisPubSub } from './pubsub-redis.js';
export { redisPubSubMetadata, parseRedisPubSubSettings, type RedisPubSubSettings } from './pubsub-settings.js';
export { RedisBinding, redisBindingMetadata } from './binding-redis.js';
export { RedisLockStore, redisLockMetadata } from './lock-redis.js';
export { RedisConfigurationStore, redisConfigurationMetadata, parseConfigurationValue } from './configuration-redis.js';
export { redisConnectionMetadata, parseConnectionSettings, type RedisConnectionSettings } from './settings.js';
export { renderRedisComponentDocs } from './metadata-docs.js';

/** Registers Dapr's Redis components: `state.redis`, `pubsub.redis`, `bindings.redis`, `lock.redis`, `configuration.redis`. */
export function registerRedisComponents(registry: ComponentRegistry): void {
  registry.register({
    type: 'state.redis',
    block: 'state',
    versions: ['v1'],
    description: 'State store on Redis, with Dapr\'s hash layout (`data`, `version`). ETags, atomic transactions, TTL; usable as the actor state store.',
    metadata: redisStateMetadata,
    create: () => new RedisStateStore(),
  });
  registry.register({
    type: 'pubsub.redis',
    block: 'pubsub',
    versions: ['v1'],
    description: 'Pub/sub on Redis Streams: one stream per topic, one consumer group per `consumerID`, at-least-once with redelivery of unacknowledged messages.',
    metadata: redisPubSubMetadata,
    create: () => new RedisPubSub(),
  });
  registry.register({
    type: 'bindings.redis',
    block: 'bindings',
    versions: ['v1'],
    description: 'Output binding for Redis strings: create (SET), get, delete, increment (INCR), with `ttlInSeconds`.',
    metadata: redisBindingMetadata,
    create: () => new RedisBinding(),
  });
  registry.register({
    type: 'lock.redis',
    block: 'lock',
    versions: ['v1'],
    description: 'Distributed lock on a single Redis server (SET NX PX, owner-checked release).',
    metadata: redisLockMetadata,
    create: () => new RedisLockStore(),
  });
  registry.register({
    type: 'configuration.redis',
    block: 'configuration',
    versions: ['v1'],
    description: 'Configuration items as Redis strings `value||version`; subscriptions through keyspace notifications.',
    metadata: redisConfigurationMetadata,
    create: () => new RedisConfigurationStore(),
  });
}
