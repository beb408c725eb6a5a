import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { MessageHandler, PubSubSubscription } from '@outrigger/components-api';
import { delay, errorMessage, type Logger } from '@outrigger/kit';
import { ensureConsumer } from './jetstream-consumers.js';
import { messageFromJetStream } from './jetstream-messages.js';
import type { JetStreamSettings } from './jetstream-settings.js';

/** Handlers one subscription runs at once in parallel mode; single mode runs one. */
const MAX_PARALLEL = 256;
/**
 * How long one pull waits on the server. Short, because close() lets the pull in progress run out
 * rather than abandon it: a pull abandoned on the server would swallow the messages nak'ed on close
 * until their ack wait expires.
 */
const PULL_EXPIRES_MS = 2_000;
/** Wait before pulling again after an error (disconnected, consumer missing). */
const RETRY_MS = 1_000;
/** The server's default ack wait, for the in-progress heartbeat when the consumer does not say. */
const DEFAULT_ACK_WAIT_MS = 30_000;

/**
 * One topic subscription on a pull consumer. Each pull asks for no more messages than there are free
 * handler slots, so every message received goes straight to a handler. A message is acked when the
 * handler resolves and nak'ed when it rejects (after `ackWait` when set, as daprd does); while a
 * handler runs the message is marked in progress, so a slow app does not get it redelivered. When the
 * consumer disappears (an ephemeral one after an outage, or deleted), it is made again. close() stops
 * pulling, waits for the handlers and naks whatever arrives meanwhile, so another consumer gets it at once.
 */
export class JetStreamSubscription implements PubSubSubscription {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private lastStreamSequence: number | undefined;
  private ackWaitMs = DEFAULT_ACK_WAIT_MS;
  private consumerName = '';

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly settings: JetStreamSettings,
    private readonly topic: string,
    private readonly handler: MessageHandler,
    private readonly logger: Logger,
  ) {}

  /** Creates or finds the consumer and starts pulling. @throws Error when the stream or consumer cannot be set up. */
  async start(): Promise<void> {
    await this.setUp();
    this.loop = this.run();
  }

  async close(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    // An ephemeral consumer served only this subscription: remove it now rather than after its inactivity threshold.
    if (!this.settings.durableName && this.consumerName) await this.jsm.consumers.delete(this.stream, this.consumerName).catch(() => undefined);
  }

  private async setUp(): Promise<void> {
    this.consumerName = await ensureConsumer(this.jsm, this.stream, this.settings, this.topic, this.lastStreamSequence);
    const info = await this.jsm.consumers.info(this.stream, this.consumerName).catch(() => undefined);
    if (info?.config.ack_wait) this.ackWaitMs = Math.max(1_000, info.config.ack_wait / 1_000_000);
  }

  /** Pulls until closed; after an error waits and, if the consumer went missing, makes it again. */
  private async run(): Promise<void> {
    const limit = this.settings.concurrency === 'parallel' ? MAX_PARALLEL : 1;
    while (!this.stopping.signal.aborted) {
      try {
        await this.waitForSlot(limit);
        if (this.stopping.signal.aborted) break;
        const wanted = limit - this.inFlight.size;
        const consumer = await this.js.consumers.get(this.stream, this.consumerName);
        const batch = await consumer.fetch({ max_messages: wanted, expires: PULL_EXPIRES_MS });
        for await (const message of batch) {
          // Arrived after close() began: hand it back at once.
          if (this.stopping.signal.aborted) {
            message.nak();
            continue;
          }
          this.lastStreamSequence = message.seq;
          const task = this.handle(message);
          this.inFlight.add(task);
          void task.finally(() => this.inFlight.delete(task));
          if (this.settings.concurrency === 'single') await task;
        }
      } catch (error) {
        if (this.stopping.signal.aborted) break;
        this.logger.warn(`jetstream: pulling ${this.topic} failed: ${errorMessage(error)}; retrying`);
        await delay(RETRY_MS, this.stopping.signal).catch(() => undefined);
        await this.recreateIfMissing();
      }
    }
  }

  /** Waits until fewer than `limit` handlers run (or close() began). */
  private async waitForSlot(limit: number): Promise<void> {
    while (this.inFlight.size >= limit && !this.stopping.signal.aborted) await Promise.race(this.inFlight);
  }

  private async recreateIfMissing(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    try {
      await this.jsm.consumers.info(this.stream, this.consumerName);
    } catch (error) {
      if (!/not found|10014|10059/i.test(errorMessage(error))) return;
      try {
        await this.setUp();
        this.logger.info(`jetstream: consuming ${this.topic} again with consumer ${this.consumerName}`);
      } catch (setUpError) {
        this.logger.warn(`jetstream: setting up the consumer of ${this.topic} failed: ${errorMessage(setUpError)}`);
      }
    }
  }

  private async handle(message: JsMsg): Promise<void> {
    const acks = this.settings.ackPolicy !== 'none';
    // Tell the server the message is being worked on, so it is not redelivered while a slow app handles it.
    const progress = acks ? setInterval(() => message.working(), Math.max(500, this.ackWaitMs / 2)) : undefined;
    try {
      await this.handler(messageFromJetStream(message, this.topic));
      if (acks) message.ack();
    } catch (error) {
      if (!acks) return;
      if (this.stopping.signal.aborted) {
        message.nak();
        return;
      }
      this.logger.warn(`jetstream: message ${message.seq} on ${this.topic} failed (${errorMessage(error)}); nak`);
      message.nak(this.settings.ackWaitMs);
    } finally {
      clearInterval(progress);
    }
  }
}
