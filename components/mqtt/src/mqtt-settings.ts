import { MetadataError, MetadataReader, metadataValue, validateMetadata, type MetadataField } from '@outrigger/components-api';
import type { MqttEndpoint } from './mqtt-connection.js';

const urlField: MetadataField = {
  name: 'url', required: true,
  description: 'Broker address: `tcp://[user][:password]@host[:port]`, or `ssl://` for TLS (`mqtt://`, `mqtts://`, `tcps://`, `tls://` also work).',
};
const tlsFields: readonly MetadataField[] = [
  { name: 'caCert', description: 'PEM certificate authority, for TLS.' },
  { name: 'clientCert', description: 'PEM client certificate, for TLS.' },
  { name: 'clientKey', description: 'PEM client key, for TLS.' },
];

/** `pubsub.mqtt3` metadata, with Dapr's names and defaults (components-contrib pubsub/mqtt3). */
export const mqttPubSubMetadata: readonly MetadataField[] = [
  urlField,
  {
    name: 'consumerID',
    description: 'MQTT client id (defaults to the app id). Two connections with one client id push each other off the broker: give each replica its own (`{uuid}`, `{podName}`), and subscribe to `$share/<group>/<topic>` for competing consumers.',
  },
  { name: 'qos', kind: { oneOf: ['0', '1', '2'] }, default: '1', description: 'QoS of published messages and subscriptions (subscriptions use at most 1, so a message is acknowledged only after the app handled it).' },
  { name: 'retain', kind: 'boolean', default: 'false', description: 'Ask the broker to retain published messages as the topic\'s last known value; a publish\'s `retain` metadata wins.' },
  { name: 'cleanSession', kind: 'boolean', default: 'false', description: 'Start a clean session on connect. With `false` the broker keeps the subscriptions and queues QoS 1 messages while the sidecar is away.' },
  ...tlsFields,
];

/** `bindings.mqtt3` metadata, with Dapr's names and defaults (components-contrib bindings/mqtt3). */
export const mqttBindingMetadata: readonly MetadataField[] = [
  urlField,
  { name: 'topic', required: true, description: 'Topic the input subscribes to (wildcards allowed) and the output publishes to, unless a request\'s `topic` metadata names another.' },
  { name: 'consumerID', description: 'Base of the client ids: `<consumerID>-consumer` for the input, `<consumerID>-producer` for the output. Defaults to the app id.' },
  { name: 'retain', kind: 'boolean', default: 'false', description: 'Ask the broker to retain published messages.' },
  { name: 'cleanSession', kind: 'boolean', default: 'false', description: 'Start a clean session on connect.' },
  { name: 'backOffMaxRetries', kind: 'integer', default: '0', description: 'Retries (5 s apart) of an event the app refused before it is left unacknowledged until the next session; -1 retries without limit.' },
  ...tlsFields,
  { name: 'qos', description: 'Deprecated and ignored, as in Dapr: the binding always uses QoS 1.' },
];

export interface MqttPubSubSettings {
  readonly endpoint: MqttEndpoint;
  readonly clientId: string;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  readonly cleanSession: boolean;
}

export interface MqttBindingSettings {
  readonly endpoint: MqttEndpoint;
  readonly topic: string;
  readonly clientId: string;
  readonly retain: boolean;
  readonly cleanSession: boolean;
  /** -1: without limit. */
  readonly backOffMaxRetries: number;
}

/** @throws MetadataError naming the offending field. */
export function parseMqttPubSubSettings(metadata: Readonly<Record<string, string>>, appId: string): MqttPubSubSettings {
  validateMetadata(mqttPubSubMetadata, metadata);
  const read = new MetadataReader(mqttPubSubMetadata, metadata);
  return {
    endpoint: endpoint(read),
    clientId: clientId(metadata, appId),
    qos: Number(read.string('qos') ?? '1') as 0 | 1 | 2,
    retain: read.boolean('retain'),
    cleanSession: read.boolean('cleanSession'),
  };
}

/** @throws MetadataError naming the offending field. */
export function parseMqttBindingSettings(metadata: Readonly<Record<string, string>>, appId: string): MqttBindingSettings {
  validateMetadata(mqttBindingMetadata, metadata);
  const read = new MetadataReader(mqttBindingMetadata, metadata);
  const retries = read.integer('backOffMaxRetries') ?? 0;
  if (retries < -1) throw new MetadataError('backOffMaxRetries', 'must be -1 (no limit) or more');
  return {
    endpoint: endpoint(read),
    topic: read.string('topic') ?? '',
    clientId: clientId(metadata, appId),
    retain: read.boolean('retain'),
    cleanSession: read.boolean('cleanSession'),
    backOffMaxRetries: retries,
  };
}

function clientId(metadata: Readonly<Record<string, string>>, appId: string): string {
  const id = metadataValue(metadata, 'consumerID')?.trim() || appId;
  if (!id) throw new MetadataError('consumerID', 'missing consumerID');
  return id;
}

function endpoint(read: MetadataReader): MqttEndpoint {
  const url = read.string('url') ?? '';
  let scheme: string;
  try {
    scheme = new URL(url).protocol.replace(/:$/, '');
  } catch {
    throw new MetadataError('url', 'is not a URL (for example tcp://localhost:1883)');
  }
  if (!['tcp', 'mqtt', 'ssl', 'tls', 'tcps', 'mqtts', 'ws', 'wss'].includes(scheme)) {
    throw new MetadataError('url', `unsupported scheme ${scheme}: use tcp:// or ssl://`);
  }
  const pem = (name: string): string | undefined => {
    const value = read.string(name);
    if (value !== undefined && !value.includes('-----BEGIN')) throw new MetadataError(name, 'is not PEM (expected a -----BEGIN ...----- block)');
    return value;
  };
  return { url, caCert: pem('caCert'), clientCert: pem('clientCert'), clientKey: pem('clientKey') };
}
