import type { ComponentRegistry } from '@outrigger/components-api';
import { rabbitMqBindingMetadata } from './binding-settings.js';
import { rabbitMqPubSubMetadata } from './pubsub-settings.js';
import { RabbitMqBinding } from './rabbitmq-binding.js';
import { RabbitMqPubSub } from './rabbitmq-pubsub.js';

export { RabbitMqPubSub } from './rabbitmq-pubsub.js';
export { RabbitMqBinding } from './rabbitmq-binding.js';
export { rabbitMqPubSubMetadata } from './pubsub-settings.js';
export { rabbitMqBindingMetadata } from './binding-settings.js';

/** Registers `pubsub.rabbitmq` and `bindings.rabbitmq` (amqplib). */
export function registerRabbitMqComponents(registry: ComponentRegistry): void {
  registry.register({
    type: 'pubsub.rabbitmq',
    block: 'pubsub',
    versions: ['v1'],
    description: 'RabbitMQ pub/sub with Dapr\'s topology (an exchange per topic, a queue per consumer group), publisher confirms, message TTL, dead-lettering and reconnection.',
    metadata: rabbitMqPubSubMetadata,
    create: () => new RabbitMqPubSub(),
  });
  registry.register({
    type: 'bindings.rabbitmq',
    block: 'bindings',
    versions: ['v1'],
    description: 'Input and output binding over one RabbitMQ queue: `create` sends a message, the input delivers the queue\'s messages to the app.',
    metadata: rabbitMqBindingMetadata,
    create: () => new RabbitMqBinding(),
  });
}
