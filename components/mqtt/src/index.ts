import type { ComponentRegistry } from '@outrigger/components-api';
import { MqttBinding } from './mqtt-binding.js';
import { MqttPubSub } from './mqtt-pubsub.js';
import { mqttBindingMetadata, mqttPubSubMetadata } from './mqtt-settings.js';

export { MqttPubSub } from './mqtt-pubsub.js';
export { MqttBinding } from './mqtt-binding.js';
export { mqttPubSubMetadata, mqttBindingMetadata } from './mqtt-settings.js';
export { topicMatches } from './topic-filter.js';

/** Registers `pubsub.mqtt3` and `bindings.mqtt3` (mqtt.js, MQTT 3.1.1), with Dapr's `mqtt` aliases. */
export function registerMqttComponents(registry: ComponentRegistry): void {
  registry.register({
    type: 'pubsub.mqtt3',
    aliases: ['pubsub.mqtt'],
    block: 'pubsub',
    versions: ['v1'],
    description: 'MQTT 3.1.1 pub/sub: QoS 1 acknowledged after the app handled a message, persistent sessions, `+`/`#` wildcards and `$share` groups, reconnection.',
    metadata: mqttPubSubMetadata,
    create: () => new MqttPubSub(),
  });
  registry.register({
    type: 'bindings.mqtt3',
    aliases: ['bindings.mqtt'],
    block: 'bindings',
    versions: ['v1'],
    description: 'Input and output binding over one MQTT topic: `create` publishes with QoS 1, the input delivers the topic\'s messages to the app.',
    metadata: mqttBindingMetadata,
    create: () => new MqttBinding(),
  });
}
