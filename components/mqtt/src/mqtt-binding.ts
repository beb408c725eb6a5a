import { metadataValue, type BindingEventHandler, type BindingInvokeRequest, type BindingInvokeResponse, type BindingReader, type ComponentContext, type InputBinding, type OutputBinding } from '@outrigger/components-api';
import { delay, errorMessage, type Logger } from '@outrigger/kit';
import { MqttConnection, type IncomingMessage } from './mqtt-connection.js';
import { parseMqttBindingSettings, type MqttBindingSettings } from './mqtt-settings.js';

/** Dapr's wait for the broker's acknowledgement of a sent message. */
const ACK_TIMEOUT_MS = 10_000;
/** Dapr's retries of a publish that failed while the client was reconnecting. */
const PUBLISH_ATTEMPTS = 4;
const PUBLISH_RETRY_MS = 200;
/** Dapr's constant back-off between deliveries of a refused event. */
const EVENT_RETRY_MS = 5_000;

/**
 * `bindings.mqtt3` (alias `bindings.mqtt`): `create` publishes to `topic` (or the request's `topic`
 * metadata) with QoS 1 through the client `<consumerID>-producer`; the input subscribes with the
 * client `<consumerID>-consumer` and delivers each message with its `topic` as metadata. A message is
 * acknowledged once the app accepted it; a refused one is retried `backOffMaxRetries` times, 5 s
 * apart, then left unacknowledged for the broker to deliver again in the next session.
 */
export class MqttBinding implements InputBinding, OutputBinding {
  private settings!: MqttBindingSettings;
  private producer: MqttConnection | undefined;
  private logger!: Logger;
  private readonly readers = new Set<TopicReader>();

  async init(context: ComponentContext): Promise<void> {
    this.settings = parseMqttBindingSettings(context.metadata, context.appId);
    this.logger = context.logger;
    // Connecting at init (daprd waits for the first call) makes a wrong url fail the start, not the first request.
    this.producer = await MqttConnection.open(this.settings.endpoint, { clientId: `${this.settings.clientId}-producer`, clean: this.settings.cleanSession }, context.logger,
      () => undefined);
  }

  operations(): readonly string[] {
    return ['create'];
  }

  async invoke(request: BindingInvokeRequest): Promise<BindingInvokeResponse | undefined> {
    const producer = this.producer;
    if (!producer) throw new Error('binding is closed');
    const topic = metadataValue(request.metadata, 'topic') || this.settings.topic;
    for (let attempt = 1; ; attempt++) {
      try {
        await producer.publish(topic, Buffer.from(request.data), 1, this.settings.retain, ACK_TIMEOUT_MS);
        return undefined;
      } catch (error) {
        if (attempt >= PUBLISH_ATTEMPTS) throw new Error(`failed to publish: ${errorMessage(error)}`, { cause: error });
        await delay(PUBLISH_RETRY_MS);
      }
    }
  }

  async read(handler: BindingEventHandler): Promise<BindingReader> {
    if (!this.producer) throw new Error('binding is closed');
    const reader = new TopicReader(this.settings, handler, this.logger);
    await reader.start();
    this.readers.add(reader);
    return {
      close: async () => {
        this.readers.delete(reader);
        await reader.close();
      },
    };
  }

  async close(): Promise<void> {
    const readers = [...this.readers];
    this.readers.clear();
    await Promise.all(readers.map((reader) => reader.close()));
    const producer = this.producer;
    this.producer = undefined;
    await producer?.close();
  }
}

/** The input side: its own client, subscribed to the topic, delivering to the app. */
class TopicReader {
  private connection: MqttConnection | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(private readonly settings: MqttBindingSettings, private readonly handler: BindingEventHandler, private readonly logger: Logger) {}

  async start(): Promise<void> {
    this.connection = await MqttConnection.open(this.settings.endpoint, { clientId: `${this.settings.clientId}-consumer`, clean: this.settings.cleanSession }, this.logger,
      (message) => this.track(this.deliver(message)));
    try {
      await this.connection.subscribe(this.settings.topic, 1);
    } catch (error) {
      await this.connection.close();
      throw error;
    }
    this.logger.info(`mqtt binding: subscribed to ${this.settings.topic}`);
  }

  async close(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    await Promise.allSettled([...this.inFlight]);
    // Disconnect without unsubscribing, as daprd does: a persistent session keeps the topic's place.
    await this.connection?.close();
  }

  private track(task: Promise<void>): void {
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  private async deliver(message: IncomingMessage): Promise<void> {
    const connection = this.connection;
    for (let attempt = 0; ; attempt++) {
      if (this.stopping.signal.aborted || !connection?.isCurrent(message)) return;
      try {
        await this.handler({ data: new Uint8Array(message.payload), metadata: { topic: message.topic } });
        connection.acknowledge(message);
        return;
      } catch (error) {
        const limit = this.settings.backOffMaxRetries;
        if (limit !== -1 && attempt >= limit) {
          this.logger.error(`mqtt binding: failed processing a message on ${message.topic}: ${errorMessage(error)}; it stays unacknowledged`);
          return;
        }
        this.logger.warn(`mqtt binding: the app refused a message on ${message.topic} (${errorMessage(error)}); retrying in ${EVENT_RETRY_MS} ms`);
        await delay(EVENT_RETRY_MS, this.stopping.signal).catch(() => undefined);
      }
    }
  }
}
