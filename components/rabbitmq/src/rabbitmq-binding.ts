import type { Channel, ConsumeMessage, Options } from 'amqplib';
import type { BindingEventHandler, BindingInvokeRequest, BindingInvokeResponse, BindingReader, ComponentContext, InputBinding, OutputBinding } from '@outrigger/components-api';
import { delay, errorMessage, type Logger } from '@outrigger/kit';
import { ReconnectingConnection } from './amqp-connection.js';
import { publishOptions } from './amqp-messages.js';
import { parseRabbitMqBindingSettings, type RabbitMqBindingSettings } from './binding-settings.js';

/** How long a refused event waits before it goes back to the queue, so a failing app is not hammered. */
const REQUEUE_DELAY_MS = 1_000;

/**
 * `bindings.rabbitmq`: input and output over one queue, as daprd's binding. `create` sends a
 * persistent message to the queue (through the default exchange) and resolves on the broker's
 * confirm; the input delivers each message with its string headers as metadata, acks when the app
 * accepted it and requeues it otherwise.
 */
export class RabbitMqBinding implements InputBinding, OutputBinding {
  private settings!: RabbitMqBindingSettings;
  private connection: ReconnectingConnection | undefined;
  private logger!: Logger;
  private readonly readers = new Set<QueueReader>();

  async init(context: ComponentContext): Promise<void> {
    this.settings = parseRabbitMqBindingSettings(context.metadata);
    this.logger = context.logger;
    this.connection = new ReconnectingConnection(this.settings.endpoint, this.settings.reconnectWaitMs, context.logger);
    await this.connection.open();
    // Declared up front, as daprd does, so messages sent before any reader starts wait in the queue.
    const channel = await this.connection.createChannel();
    try {
      await channel.assertQueue(this.settings.queue, queueOptions(this.settings));
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  operations(): readonly string[] {
    return ['create'];
  }

  async invoke(request: BindingInvokeRequest): Promise<BindingInvokeResponse | undefined> {
    const connection = this.open();
    const options = publishOptions(request.metadata, this.settings.contentType, { deliveryMode: 2 });
    // daprd sends every request metadata entry as a header, the property ones included.
    options.headers = { ...request.metadata };
    await connection.sendToQueue(this.settings.queue, Buffer.from(request.data), options);
    return undefined;
  }

  async read(handler: BindingEventHandler): Promise<BindingReader> {
    const reader = new QueueReader(this.open(), this.settings, handler, this.logger);
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
    await this.connection?.close();
    this.connection = undefined;
  }

  private open(): ReconnectingConnection {
    if (!this.connection) throw new Error('binding is closed');
    return this.connection;
  }
}

function queueOptions(settings: RabbitMqBindingSettings): Options.AssertQueue {
  const args: Record<string, unknown> = {};
  if (settings.queueTtlMs !== undefined) args['x-message-ttl'] = settings.queueTtlMs;
  if (settings.maxPriority !== undefined) args['x-max-priority'] = settings.maxPriority;
  return { durable: settings.durable, autoDelete: settings.autoDelete, exclusive: settings.exclusive, arguments: args };
}

/** Reads the queue into the app; consumes again after a reconnection. */
class QueueReader {
  private channel: Channel | undefined;
  private consumerTag: string | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private establishing = false;
  private readonly stopListening: () => void;

  constructor(private readonly connection: ReconnectingConnection, private readonly settings: RabbitMqBindingSettings, private readonly handler: BindingEventHandler, private readonly logger: Logger) {
    this.stopListening = connection.onReconnect(() => void this.restart());
  }

  async start(): Promise<void> {
    const channel = await this.connection.createChannel();
    channel.on('error', (error: Error) => this.logger.warn(`rabbitmq binding: channel error on ${this.settings.queue}: ${error.message}`));
    channel.on('close', () => {
      if (this.channel === channel) this.channel = undefined;
    });
    await channel.assertQueue(this.settings.queue, queueOptions(this.settings));
    if (this.settings.prefetchCount > 0) await channel.prefetch(this.settings.prefetchCount, true);
    this.channel = channel;
    const consumer = await channel.consume(this.settings.queue, (message) => {
      if (message) this.track(this.deliver(channel, message));
    }, { noAck: false });
    this.consumerTag = consumer.consumerTag;
  }

  async close(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    this.stopListening();
    const channel = this.channel;
    if (channel && this.consumerTag) await channel.cancel(this.consumerTag).catch(() => undefined);
    await Promise.allSettled([...this.inFlight]);
    this.channel = undefined;
    // Unacknowledged messages go back to the queue with the channel.
    await channel?.close().catch(() => undefined);
  }

  private async restart(): Promise<void> {
    if (this.stopping.signal.aborted || this.channel || this.establishing) return;
    this.establishing = true;
    try {
      await this.start();
    } catch (error) {
      this.logger.warn(`rabbitmq binding: reading ${this.settings.queue} again failed: ${errorMessage(error)}`);
    } finally {
      this.establishing = false;
    }
  }

  private track(task: Promise<void>): void {
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  private async deliver(channel: Channel, message: ConsumeMessage): Promise<void> {
    const metadata: Record<string, string> = {};
    for (const [key, value] of Object.entries((message.properties.headers ?? {}) as Record<string, unknown>)) {
      if (typeof value === 'string') metadata[encodeURIComponent(key)] = value;
    }
    try {
      await this.handler({ data: new Uint8Array(message.content), metadata });
    } catch (error) {
      await this.refused(channel, message, error);
      return;
    }
    try {
      channel.ack(message);
    } catch {
      // The channel closed meanwhile: the broker requeued the message, which comes again.
    }
  }

  private async refused(channel: Channel, message: ConsumeMessage, error: unknown): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.logger.warn(`rabbitmq binding: the app did not take a message from ${this.settings.queue} (${errorMessage(error)}); requeueing it`);
    await delay(REQUEUE_DELAY_MS, this.stopping.signal).catch(() => undefined);
    // Stopping meanwhile: leave it unacknowledged; closing the channel requeues it.
    if (this.stopping.signal.aborted || this.channel !== channel) return;
    try {
      channel.nack(message, false, true);
    } catch {
      // The channel closed: the broker requeued the message already.
    }
  }
}
