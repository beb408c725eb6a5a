import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, jwtAuthenticator, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { ComponentContext, MessageHandler, PublishRequest, PubSub, PubSubFeature, PubSubSubscription, SubscribeRequest } from '@outrigger/components-api';
import { errorMessage, type Logger } from '@outrigger/kit';
import { streamFor } from './jetstream-consumers.js';
import { cloudEventId, publishHeaders } from './jetstream-messages.js';
import { parseJetStreamSettings, type JetStreamSettings } from './jetstream-settings.js';
import { JetStreamSubscription } from './jetstream-subscription.js';

/** How long a publish waits for the stream's acknowledgement. */
const PUBLISH_TIMEOUT_MS = 5_000;
/** How long connecting may take before init fails. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * `pubsub.jetstream`: Dapr's NATS JetStream pub/sub. Publishes wait for the stream's acknowledgement
 * (with the CloudEvent id as `Nats-Msg-Id` for de-duplication); subscriptions pull from a durable
 * consumer (`durableName`) or an ephemeral one. The client reconnects by itself and consumers resume;
 * while it is disconnected a publish fails at once instead of waiting in the reconnect buffer.
 */
export class JetStreamPubSub implements PubSub {
  private settings!: JetStreamSettings;
  private connection: NatsConnection | undefined;
  private js!: JetStreamClient;
  private jsm!: JetStreamManager;
  private logger!: Logger;
  private connected = false;
  private readonly subscriptions = new Set<JetStreamSubscription>();

  async init(context: ComponentContext): Promise<void> {
    this.settings = parseJetStreamSettings(context.metadata);
    this.logger = context.logger;
    const options: NodeConnectionOptions = {
      servers: this.settings.servers,
      name: this.settings.name,
      timeout: CONNECT_TIMEOUT_MS,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
    };
    const { jwt, seed, token, certFile, keyFile } = this.settings.auth;
    if (jwt && seed) options.authenticator = jwtAuthenticator(jwt, new TextEncoder().encode(seed));
    else if (certFile && keyFile) options.tls = { certFile, keyFile };
    else if (token) options.token = token;
    try {
      this.connection = await connect(options);
    } catch (error) {
      throw new Error(`cannot connect to NATS at ${this.settings.servers.join(', ')}: ${errorMessage(error)}`, { cause: error });
    }
    this.connected = true;
    void this.watchStatus(this.connection);
    const jsOptions = { ...(this.settings.domain ? { domain: this.settings.domain } : {}), ...(this.settings.apiPrefix ? { apiPrefix: this.settings.apiPrefix } : {}) };
    this.js = jetstream(this.connection, { ...jsOptions, timeout: PUBLISH_TIMEOUT_MS });
    try {
      this.jsm = await jetstreamManager(this.connection, jsOptions);
    } catch (error) {
      throw new Error(`JetStream is not available on ${this.settings.servers.join(', ')} (is the server started with -js?): ${errorMessage(error)}`, { cause: error });
    }
  }

  features(): readonly PubSubFeature[] {
    return [];
  }

  async publish(request: PublishRequest): Promise<void> {
    this.open();
    if (!this.connected) throw new Error(`not connected to NATS at ${this.settings.servers.join(', ')}; reconnecting`);
    const msgID = cloudEventId(request.data);
    const headers = publishHeaders(request);
    await this.js.publish(request.topic, request.data, { ...(msgID ? { msgID } : {}), ...(headers ? { headers } : {}), timeout: PUBLISH_TIMEOUT_MS });
  }

  async subscribe(request: SubscribeRequest, handler: MessageHandler): Promise<PubSubSubscription> {
    this.open();
    const stream = await streamFor(this.jsm, this.settings, request.topic);
    const subscription = new JetStreamSubscription(this.js, this.jsm, stream, this.settings, request.topic, handler, this.logger);
    await subscription.start();
    this.subscriptions.add(subscription);
    this.logger.info(`jetstream: subscribed to ${request.topic} on stream ${stream}`);
    return {
      close: async () => {
        this.subscriptions.delete(subscription);
        await subscription.close();
      },
    };
  }

  async close(): Promise<void> {
    const subscriptions = [...this.subscriptions];
    this.subscriptions.clear();
    await Promise.all(subscriptions.map((subscription) => subscription.close()));
    const connection = this.connection;
    this.connection = undefined;
    if (connection && !connection.isClosed()) await connection.drain().catch(() => connection.close());
  }

  private open(): NatsConnection {
    if (!this.connection || this.connection.isClosed()) throw new Error('component is closed');
    return this.connection;
  }

  /** Tracks whether the client is connected, so publishes fail fast during an outage. */
  private async watchStatus(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (status.type === 'disconnect') {
        this.connected = false;
        this.logger.warn(`jetstream: disconnected from NATS; reconnecting`);
      } else if (status.type === 'reconnect') {
        this.connected = true;
        this.logger.info(`jetstream: reconnected to NATS`);
      }
    }
  }
}
