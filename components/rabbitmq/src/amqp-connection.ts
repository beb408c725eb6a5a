import type { Channel, ChannelModel, ConfirmChannel, Options } from 'amqplib';
import { errorMessage, type Logger } from '@outrigger/kit';
import { dial, redactedUrl, type AmqpEndpoint } from './amqp-endpoint.js';

/** Longest a publish waits for the broker's confirm before it fails. */
const CONFIRM_TIMEOUT_MS = 10_000;

/** Called after every reconnection, so users re-create their channels, topology and consumers. */
export type ReconnectListener = () => void;

/** What the pub/sub declares before it publishes: the exchange of a topic. */
export interface ExchangeSpec {
  readonly name: string;
  readonly kind: string;
  readonly options: Options.AssertExchange;
}

/**
 * One AMQP connection that comes back by itself: when the broker closes it or goes away, a new
 * connection is dialled every `reconnectWaitMs` until one opens, then the listeners re-create what
 * they had. Publishing goes through one confirm channel, so a publish resolves only once the broker
 * has taken the message, and fails at once while the connection is down.
 */
export class ReconnectingConnection {
  private model: ChannelModel | undefined;
  private confirmChannel: Promise<ConfirmChannel> | undefined;
  /** Exchanges declared on the current confirm channel; a new channel declares them again. */
  private declared = new Set<string>();
  private readonly listeners = new Set<ReconnectListener>();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly endpoint: AmqpEndpoint, private readonly reconnectWaitMs: number, private readonly logger: Logger) {}

  /** Opens the first connection. @throws Error naming the broker when it cannot be reached. */
  async open(): Promise<void> {
    const model = await dial(this.endpoint);
    if (this.closed) {
      await model.close().catch(() => undefined);
      throw new Error('the component was closed while connecting');
    }
    this.adopt(model);
  }

  get connected(): boolean {
    return this.model !== undefined;
  }

  /** Registers a listener for reconnections; returns a function that removes it. */
  onReconnect(listener: ReconnectListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A new channel on the current connection. @throws Error while disconnected. */
  async createChannel(): Promise<Channel> {
    return this.current().createChannel();
  }

  /**
   * Declares `exchange` (once per channel) and publishes; resolves when the broker confirms.
   * @throws Error when disconnected, when the broker refuses (nack, channel error) or does not confirm in time.
   */
  async publish(exchange: ExchangeSpec, routingKey: string, content: Buffer, options: Options.Publish): Promise<void> {
    const channel = await this.publishChannel();
    // The default exchange ('') always exists and cannot be declared.
    if (exchange.name !== '' && !this.declared.has(exchange.name)) {
      await channel.assertExchange(exchange.name, exchange.kind, exchange.options);
      this.declared.add(exchange.name);
    }
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`RabbitMQ did not confirm the message within ${CONFIRM_TIMEOUT_MS} ms`)), CONFIRM_TIMEOUT_MS);
      try {
        channel.publish(exchange.name, routingKey, content, options, (error: unknown) => {
          clearTimeout(timer);
          if (error) reject(error instanceof Error ? error : new Error(String(error)));
          else resolve();
        });
      } catch (error) {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  /** Sends to a queue through the default exchange (the binding's output); resolves on the confirm. */
  async sendToQueue(queue: string, content: Buffer, options: Options.Publish): Promise<void> {
    await this.publish({ name: '', kind: 'direct', options: {} }, queue, content, options);
  }

  /** Forgets what was declared, e.g. after an exchange was deleted behind the component's back. */
  forgetDeclarations(): void {
    this.declared = new Set<string>();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    this.listeners.clear();
    const model = this.model;
    this.model = undefined;
    this.confirmChannel = undefined;
    await model?.close().catch(() => undefined);
  }

  private current(): ChannelModel {
    if (this.closed) throw new Error('the component is closed');
    if (!this.model) throw new Error(`not connected to RabbitMQ at ${redactedUrl(this.endpoint.url)}; reconnecting`);
    return this.model;
  }

  private publishChannel(): Promise<ConfirmChannel> {
    const model = this.current();
    if (!this.confirmChannel) {
      const opening = model.createConfirmChannel().then((channel) => {
        // A channel error (e.g. publishing to an exchange deleted meanwhile) closes only this
        // channel; the next publish opens a fresh one and declares its exchanges again.
        channel.on('error', (error: Error) => this.logger.warn(`rabbitmq: publish channel error: ${error.message}`));
        channel.on('close', () => {
          if (this.confirmChannel === opening) {
            this.confirmChannel = undefined;
            this.declared = new Set<string>();
          }
        });
        return channel;
      });
      opening.catch(() => {
        if (this.confirmChannel === opening) this.confirmChannel = undefined;
      });
      this.confirmChannel = opening;
      this.declared = new Set<string>();
    }
    return this.confirmChannel;
  }

  private adopt(model: ChannelModel): void {
    this.model = model;
    model.on('error', (error: Error) => this.logger.warn(`rabbitmq: connection error: ${error.message}`));
    model.on('close', () => {
      if (this.model !== model) return;
      this.model = undefined;
      this.confirmChannel = undefined;
      if (this.closed) return;
      this.logger.warn(`rabbitmq: connection to ${redactedUrl(this.endpoint.url)} lost; reconnecting every ${this.reconnectWaitMs} ms`);
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.reconnect(), this.reconnectWaitMs);
  }

  private async reconnect(): Promise<void> {
    if (this.closed || this.model) return;
    let model: ChannelModel;
    try {
      model = await dial(this.endpoint);
    } catch (error) {
      this.logger.debug(`rabbitmq: reconnect failed: ${errorMessage(error)}`);
      if (!this.closed) this.scheduleReconnect();
      return;
    }
    if (this.closed) {
      await model.close().catch(() => undefined);
      return;
    }
    this.adopt(model);
    this.logger.info(`rabbitmq: reconnected to ${redactedUrl(this.endpoint.url)}`);
    for (const listener of [...this.listeners]) listener();
  }
}
