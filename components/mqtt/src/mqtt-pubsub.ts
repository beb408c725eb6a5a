import { metadataValue, parseBoolean, type ComponentContext, type MessageHandler, type PublishRequest, type PubSub, type PubSubFeature, type PubSubSubscription, type SubscribeRequest } from '@outrigger/components-api';
import { errorMessage, type Logger } from '@outrigger/kit';
import { MqttConnection, type IncomingMessage } from './mqtt-connection.js';
import { parseMqttPubSubSettings, type MqttPubSubSettings } from './mqtt-settings.js';
import { TopicRoutes } from './topic-filter.js';

/** Dapr's wait for a publish or subscribe acknowledgement. */
const ACK_TIMEOUT_MS = 20_000;
/** First redelivery of a message the app failed, doubling up to the maximum. */
const REDELIVERY_MIN_MS = 500;
const REDELIVERY_MAX_MS = 5_000;
/** Messages kept for subscriptions not made yet; the broker's in-flight window keeps the real number far lower. */
const MAX_UNROUTED = 10_000;

/** One subscription's handler and what it has in flight. */
interface Route {
  readonly filter: string;
  readonly handler: MessageHandler;
  readonly inFlight: Set<Promise<void>>;
  readonly timers: Set<NodeJS.Timeout>;
  closed: boolean;
}

/**
 * `pubsub.mqtt3` (alias `pubsub.mqtt`): Dapr's MQTT 3.1.1 pub/sub over one client whose id is the
 * `consumerID`. Subscriptions may use `+`/`#` wildcards and `$share/<group>/<topic>`. A QoS 1
 * message is acknowledged only after its handler resolved; a rejected one is handed to the handler
 * again after a back-off while its acknowledgement stays held, and if the connection drops first
 * the broker redelivers it in the next session (with `cleanSession: false`).
 */
export class MqttPubSub implements PubSub {
  private settings!: MqttPubSubSettings;
  private connection: MqttConnection | undefined;
  private logger!: Logger;
  private readonly routes = new TopicRoutes<Route>();
  /**
   * Messages that came before a subscription for them: a resumed session delivers its queue right
   * after connecting, before the runtime has subscribed. They wait here, unacknowledged, for it.
   */
  private unrouted: IncomingMessage[] = [];
  private closed = false;

  async init(context: ComponentContext): Promise<void> {
    this.settings = parseMqttPubSubSettings(context.metadata, context.appId);
    this.logger = context.logger;
    this.connection = await MqttConnection.open(this.settings.endpoint, { clientId: this.settings.clientId, clean: this.settings.cleanSession }, context.logger,
      (message) => this.receive(message));
  }

  features(): readonly PubSubFeature[] {
    return ['SUBSCRIBE_WILDCARDS'];
  }

  async publish(request: PublishRequest): Promise<void> {
    const connection = this.open();
    if (request.topic === '') throw new Error('topic name is empty');
    const retainText = request.metadata ? metadataValue(request.metadata, 'retain') : undefined;
    const retain = retainText === undefined || retainText === '' ? this.settings.retain : parseBoolean(retainText);
    if (retain === undefined) throw new Error(`mqtt invalid retain ${retainText}`);
    await connection.publish(request.topic, Buffer.from(request.data), this.settings.qos, retain, ACK_TIMEOUT_MS);
  }

  async subscribe(request: SubscribeRequest, handler: MessageHandler): Promise<PubSubSubscription> {
    const connection = this.open();
    const filter = request.topic;
    if (filter === '') throw new Error('topic name is empty');
    if (this.routes.has(filter)) throw new Error(`already subscribed to ${filter}`);
    const route: Route = { filter, handler, inFlight: new Set(), timers: new Set(), closed: false };
    this.routes.set(filter, route);
    try {
      await connection.subscribe(filter, this.settings.qos > 1 ? 1 : this.settings.qos);
    } catch (error) {
      this.routes.delete(filter);
      throw new Error(`mqtt error from subscribe to ${filter}: ${errorMessage(error)}`, { cause: error });
    }
    this.logger.info(`mqtt: subscribed to topic ${filter} (qos ${Math.min(this.settings.qos, 1)})`);
    this.routeWaiting(route);
    const unsubscribeOnClose = parseBoolean(metadataValue(request.metadata ?? {}, 'unsubscribeOnClose')) === true;
    return { close: () => this.closeRoute(route, unsubscribeOnClose) };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.routes.values().map((route) => this.closeRoute(route, false)));
    await this.connection?.close();
  }

  private open(): MqttConnection {
    if (this.closed || !this.connection) throw new Error('component is closed');
    return this.connection;
  }

  /**
   * Stops routing to the subscription and waits for its handlers. Messages not acknowledged stay
   * with the broker. Like daprd, the broker-side subscription is only removed with `cleanSession`
   * or `unsubscribeOnClose`, so a persistent session keeps its place for the next sidecar.
   */
  private async closeRoute(route: Route, unsubscribe: boolean): Promise<void> {
    if (route.closed) return;
    route.closed = true;
    if (this.routes.get(route.filter) === route) this.routes.delete(route.filter);
    for (const timer of route.timers) clearTimeout(timer);
    route.timers.clear();
    if ((this.settings.cleanSession || unsubscribe) && !this.closed) {
      await this.connection?.unsubscribe(route.filter).catch((error: unknown) => this.logger.warn(`mqtt: unsubscribing from ${route.filter} failed: ${errorMessage(error)}`));
    }
    await Promise.allSettled([...route.inFlight]);
  }

  private receive(message: IncomingMessage): void {
    const route = this.routes.find(message.topic);
    if (route) {
      this.dispatch(route, message, 1);
      return;
    }
    if (message.qos === 0 || this.unrouted.length >= MAX_UNROUTED) {
      this.logger.warn(`mqtt: no subscription for a message on ${message.topic}; ${message.qos === 0 ? 'dropped (QoS 0)' : 'left unacknowledged'}`);
      return;
    }
    this.unrouted.push(message);
  }

  /** Hands a new subscription the waiting messages it matches; ones from a lost connection are dropped (the broker resends them). */
  private routeWaiting(route: Route): void {
    const waiting = this.unrouted;
    this.unrouted = [];
    for (const message of waiting) {
      if (!this.connection?.isCurrent(message)) continue;
      if (this.routes.find(message.topic) === route) this.dispatch(route, message, 1);
      else this.unrouted.push(message);
    }
  }

  private dispatch(route: Route, message: IncomingMessage, attempt: number): void {
    const task = this.handleOnce(route, message, attempt);
    route.inFlight.add(task);
    void task.finally(() => route.inFlight.delete(task));
  }

  private async handleOnce(route: Route, message: IncomingMessage, attempt: number): Promise<void> {
    try {
      await route.handler({ topic: message.topic, data: new Uint8Array(message.payload), metadata: { retained: String(message.retained) } });
    } catch (error) {
      const connection = this.connection;
      if (route.closed || !connection?.isCurrent(message) || message.qos === 0) return;
      const wait = Math.min(REDELIVERY_MAX_MS, REDELIVERY_MIN_MS * 2 ** Math.min(attempt - 1, 10));
      this.logger.warn(`mqtt: message on ${message.topic} failed (${errorMessage(error)}); delivering it again in ${wait} ms`);
      const timer = setTimeout(() => {
        route.timers.delete(timer);
        if (!route.closed && connection.isCurrent(message)) this.dispatch(route, message, attempt + 1);
      }, wait);
      route.timers.add(timer);
      return;
    }
    this.connection?.acknowledge(message);
  }
}
