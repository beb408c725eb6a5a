import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { errorMessage, type Logger } from '@outrigger/kit';

/** Where and how to connect: Dapr's `url` (tcp://, ssl://, mqtt://, mqtts://, tcps://, tls://) and PEM material. */
export interface MqttEndpoint {
  readonly url: string;
  readonly caCert?: string | undefined;
  readonly clientCert?: string | undefined;
  readonly clientKey?: string | undefined;
}

/** A message received; with QoS 1 its acknowledgement is held until `acknowledge`. */
export interface IncomingMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1 | 2;
  readonly retained: boolean;
  /** Which connection the message came on: an acknowledgement is only valid on that one. */
  readonly generation: number;
  readonly messageId: number | undefined;
}

/** How long connecting may take before init fails. */
const CONNECT_TIMEOUT_MS = 10_000;
/** Wait between reconnection attempts. */
const RECONNECT_PERIOD_MS = 1_000;

/** Dapr's URL schemes mapped to mqtt.js's. */
function brokerUrl(url: string): string {
  const parsed = new URL(url);
  const scheme = parsed.protocol.replace(/:$/, '');
  const mapped = scheme === 'tcp' ? 'mqtt' : ['ssl', 'tls', 'tcps'].includes(scheme) ? 'mqtts' : scheme;
  if (mapped !== 'mqtt' && mapped !== 'mqtts' && mapped !== 'ws' && mapped !== 'wss') throw new Error(`unsupported URL scheme ${scheme}`);
  parsed.protocol = `${mapped}:`;
  return parsed.toString();
}

/** The URL without its password, for messages and logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable url)';
  }
}

/**
 * One MQTT 3.1.1 client that reconnects by itself (mqtt.js), with two changes that keep messages
 * from being lost: an incoming QoS 1/2 message is acknowledged only when `acknowledge` is called (after
 * the app handled it), and a publish fails at once while disconnected instead of waiting in the
 * offline queue. mqtt.js sends the PUBACK from `handleMessage`'s callback and handles one packet at a
 * time; passing that callback an error skips its PUBACK without stalling the packet pump, and
 * `acknowledge` sends the PUBACK later, on the same connection only (message ids are per connection).
 */
export class MqttConnection {
  private generation = 0;

  private constructor(private readonly client: MqttClient, readonly url: string, private readonly logger: Logger) {}

  /**
   * Connects and installs `onMessage`.
   * @throws Error naming the broker when it cannot be reached or refuses the connection.
   */
  static async open(endpoint: MqttEndpoint, options: { clientId: string; clean: boolean }, logger: Logger, onMessage: (message: IncomingMessage) => void): Promise<MqttConnection> {
    const clientOptions: IClientOptions = {
      clientId: options.clientId,
      clean: options.clean,
      protocolVersion: 4,
      connectTimeout: CONNECT_TIMEOUT_MS,
      reconnectPeriod: RECONNECT_PERIOD_MS,
      queueQoSZero: false,
      resubscribe: true,
    };
    if (endpoint.caCert) clientOptions.ca = endpoint.caCert;
    if (endpoint.clientCert) clientOptions.cert = endpoint.clientCert;
    if (endpoint.clientKey) clientOptions.key = endpoint.clientKey;
    const where = redactedUrl(endpoint.url);
    const client = connect(brokerUrl(endpoint.url), clientOptions);
    // MQTT.js leaves Nagle's algorithm on. Publishes, deliveries and their acks are small packets both
    // ways on one socket, so a packet can wait for the broker's delayed ACK (40 ms on Linux), which capped
    // a sidecar with a subscription at about 16 publishes per 40 ms. Set on every (re)connection.
    client.on('connect', () => sendAtOnce(client.stream));
    const connection = new MqttConnection(client, where, logger);
    client.handleMessage = (packet, callback) => connection.receive(packet, callback, onMessage);
    try {
      await new Promise<void>((resolve, reject) => {
        const fail = (reason: string): void => {
          cleanup();
          reject(new Error(`cannot connect to the MQTT broker at ${where} as client ${options.clientId}: ${reason}`));
        };
        const onConnect = (): void => {
          cleanup();
          resolve();
        };
        const onError = (error: Error): void => fail(errorMessage(error));
        const onClose = (): void => fail('connection refused or closed');
        const cleanup = (): void => {
          client.off('connect', onConnect);
          client.off('error', onError);
          client.off('close', onClose);
        };
        client.on('connect', onConnect);
        client.on('error', onError);
        client.on('close', onClose);
      });
    } catch (error) {
      client.end(true);
      throw error;
    }
    client.on('close', () => {
      connection.generation += 1;
      logger.warn(`mqtt: connection to ${where} lost; reconnecting every ${RECONNECT_PERIOD_MS} ms`);
    });
    client.on('connect', () => {
      connection.generation += 1;
      logger.info(`mqtt: connected to ${where}`);
    });
    client.on('error', (error: Error) => logger.warn(`mqtt: ${error.message}`));
    return connection;
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** True while the connection `message` came on is still up, so acknowledging it is meaningful. */
  isCurrent(message: IncomingMessage): boolean {
    return this.client.connected && message.generation === this.generation;
  }

  /**
   * Publishes; resolves once the broker acknowledged (QoS 1: PUBACK, QoS 2: PUBCOMP).
   * @throws Error at once while disconnected, or when no acknowledgement comes within `timeoutMs`
   *   (the message may still reach the broker after a reconnection: at least once, never lost silently).
   */
  async publish(topic: string, payload: Buffer, qos: 0 | 1 | 2, retain: boolean, timeoutMs: number): Promise<void> {
    if (!this.client.connected) throw new Error(`not connected to the MQTT broker at ${this.url}; reconnecting`);
    let timer: NodeJS.Timeout | undefined;
    let onClose: (() => void) | undefined;
    const cutOff = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the MQTT broker did not acknowledge the message within ${timeoutMs} ms`)), timeoutMs);
      onClose = () => reject(new Error(`the connection to the MQTT broker at ${this.url} was lost before it acknowledged the message`));
      if (qos > 0) this.client.once('close', onClose);
    });
    try {
      await Promise.race([this.client.publishAsync(topic, payload, { qos, retain }), cutOff]);
    } finally {
      clearTimeout(timer);
      if (onClose) this.client.off('close', onClose);
    }
  }

  /** @throws Error when the broker refuses the subscription (granted QoS 128). */
  async subscribe(filter: string, qos: 0 | 1 | 2): Promise<void> {
    if (!this.client.connected) throw new Error(`not connected to the MQTT broker at ${this.url}`);
    const grants = await this.client.subscribeAsync(filter, { qos });
    const refused = grants.find((grant) => grant.qos === 128);
    if (refused) throw new Error(`the MQTT broker refused the subscription to ${filter}`);
  }

  async unsubscribe(filter: string): Promise<void> {
    if (this.client.connected) await this.client.unsubscribeAsync(filter);
  }

  /**
   * Sends the held acknowledgement of `message`. Does nothing for QoS 0, or when the connection it
   * came on is gone (the broker delivers it again on the next session instead).
   * @returns whether the acknowledgement was sent.
   */
  acknowledge(message: IncomingMessage): boolean {
    if (message.qos !== 1 || message.messageId === undefined || !this.isCurrent(message)) return false;
    // mqtt.js's own handlers send acknowledgements through this method too.
    const client = this.client as unknown as { _sendPacket(packet: object, callback?: () => void): void };
    client._sendPacket({ cmd: 'puback', messageId: message.messageId });
    return true;
  }

  /** Disconnects cleanly (bounded); messages not acknowledged stay with the broker's session. */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.client.endAsync(false).catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.client.end(true);
          resolve();
        }, 2_000);
      }),
    ]);
    clearTimeout(timer);
  }

  private receive(packet: IPublishPacket, callback: (error?: Error) => void, onMessage: (message: IncomingMessage) => void): void {
    const message: IncomingMessage = {
      topic: packet.topic,
      payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
      qos: packet.qos,
      retained: packet.retain,
      generation: this.generation,
      messageId: packet.messageId,
    };
    // Only QoS 1 is held (subscriptions ask for at most QoS 1): the error tells mqtt.js not to send
    // the PUBACK now. QoS 0 has nothing to acknowledge; a QoS 2 message completes as mqtt.js does it.
    callback(packet.qos === 1 ? HELD : undefined);
    try {
      onMessage(message);
    } catch (error) {
      this.logger.error(`mqtt: message handler failed: ${errorMessage(error)}`);
    }
  }
}

/** Marker passed to mqtt.js so it holds the acknowledgement; never surfaces as an error. */
const HELD = new Error('acknowledgement held until the app has handled the message');

/** Turns Nagle's algorithm off on the client's socket (TCP or TLS); a WebSocket stream has no such switch. */
function sendAtOnce(stream: unknown): void {
  const socket = stream as { setNoDelay?: (noDelay: boolean) => unknown };
  if (typeof socket.setNoDelay === 'function') socket.setNoDelay(true);
}
