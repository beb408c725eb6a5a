import type { MessageHandler, PubSubMessage } from '@outrigger/components-api';
import { redeliveryDelayMs } from './pubsub-common.js';

/** A published message as the broker keeps it; shared by the queues of every group of its topic. */
export interface StoredMessage {
  readonly topic: string;
  readonly data: Uint8Array;
  readonly contentType: string | undefined;
  readonly metadata: Readonly<Record<string, string>> | undefined;
  /** Epoch milliseconds; undefined for no TTL. */
  readonly expiresAt: number | undefined;
}

/** One group's copy of a message: its place in the queue and its delivery attempts. */
interface Envelope {
  /** Publish order, so a redelivered message goes back before newer ones. */
  readonly sequence: number;
  readonly message: StoredMessage;
  attempts: number;
  availableAt: number;
}

/** One subscription's place in a group. */
export interface Consumer {
  readonly handler: MessageHandler;
  readonly concurrency: number;
  /** Handler runs not yet settled; close() waits for them. */
  readonly running: Set<Promise<void>>;
}

/**
 * The messages of one consumer group on one topic and the subscriptions competing for them.
 * A message leaves the queue when it is handed to a handler and comes back if the handler rejects,
 * so it is never in two handlers at once. Handlers are picked round-robin among those with a free slot.
 */
export class ConsumerGroupQueue {
  private readonly queue: Envelope[] = [];
  private readonly consumers: Consumer[] = [];
  private nextConsumer = 0;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Infinity;

  enqueue(message: StoredMessage, sequence: number): void {
    this.queue.push({ sequence, message, attempts: 0, availableAt: 0 });
    this.pump();
  }

  add(consumer: Consumer): void {
    this.consumers.push(consumer);
    this.pump();
  }

  /** Takes a consumer out of the rotation; its running handlers still settle (and requeue on rejection). */
  remove(consumer: Consumer): void {
    const index = this.consumers.indexOf(consumer);
    if (index >= 0) this.consumers.splice(index, 1);
    if (this.consumers.length === 0) this.clearWake();
  }

  /** Messages waiting (not in a handler); for tests and diagnostics. */
  get backlog(): number {
    return this.queue.length;
  }

  /** Stops the redelivery timer; the broker is being dropped. */
  dispose(): void {
    this.clearWake();
  }

  /** Hands available messages to consumers with a free slot, then arms a timer for the next back-off to end. */
  private pump(): void {
    const now = Date.now();
    for (;;) {
      // Message first: picking a consumer advances the rotation, which must only happen for a delivery.
      const index = this.firstAvailable(now);
      if (index < 0) break;
      const consumer = this.pickConsumer();
      if (!consumer) break;
      const [envelope] = this.queue.splice(index, 1) as [Envelope];
      this.dispatch(consumer, envelope);
    }
    this.scheduleWake(now);
  }

  private pickConsumer(): Consumer | undefined {
    for (let tried = 0; tried < this.consumers.length; tried += 1) {
      const index = (this.nextConsumer + tried) % this.consumers.length;
      const consumer = this.consumers[index] as Consumer;
      if (consumer.running.size < consumer.concurrency) {
        this.nextConsumer = (index + 1) % this.consumers.length;
        return consumer;
      }
    }
    return undefined;
  }

  /** Index of the oldest deliverable message; expired messages met on the way are dropped. */
  private firstAvailable(now: number): number {
    for (let index = 0; index < this.queue.length;) {
      const envelope = this.queue[index] as Envelope;
      if (envelope.message.expiresAt !== undefined && envelope.message.expiresAt <= now) {
        this.queue.splice(index, 1);
        continue;
      }
      if (envelope.availableAt <= now) return index;
      index += 1;
    }
    return -1;
  }

  private dispatch(consumer: Consumer, envelope: Envelope): void {
    envelope.attempts += 1;
    const { message } = envelope;
    // A copy per delivery: a handler that mutates its bytes must not change a redelivery or another group's copy.
    const delivered: PubSubMessage = { topic: message.topic, data: new Uint8Array(message.data), contentType: message.contentType, metadata: message.metadata };
    // Through a resolved promise, so a handler that throws synchronously counts as a rejection.
    const run: Promise<void> = Promise.resolve()
      .then(() => consumer.handler(delivered))
      .then(() => undefined, () => this.requeue(envelope))
      .finally(() => {
        consumer.running.delete(run);
        this.pump();
      });
    consumer.running.add(run);
  }

  private requeue(envelope: Envelope): void {
    envelope.availableAt = Date.now() + redeliveryDelayMs(envelope.attempts);
    let index = 0;
    while (index < this.queue.length && (this.queue[index] as Envelope).sequence < envelope.sequence) index += 1;
    this.queue.splice(index, 0, envelope);
  }

  /** Arms one timer for the earliest back-off end, only when someone could take the message then. */
  private scheduleWake(now: number): void {
    if (this.consumers.length === 0) return;
    let earliest = Infinity;
    for (const envelope of this.queue) if (envelope.availableAt > now) earliest = Math.min(earliest, envelope.availableAt);
    if (earliest === Infinity || earliest >= this.wakeAt) return;
    this.clearWake();
    this.wakeAt = earliest;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeAt = Infinity;
      this.pump();
    }, earliest - now);
    // Waiting for a back-off must not keep the process alive on its own.
    this.wakeTimer.unref();
  }

  private clearWake(): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.wakeAt = Infinity;
  }
}

/**
 * The process-local message bus behind `pubsub.in-memory`: topics → consumer groups → queues.
 * Each component instance has its own broker, as in Dapr; tests share one between instances to get
 * several consumers of one bus.
 */
export class InMemoryBroker {
  private readonly topics = new Map<string, Map<string, ConsumerGroupQueue>>();
  private sequence = 0;

  /** The group's queue of a topic, created (and from then on receiving every publish) on first use. */
  group(topic: string, group: string): ConsumerGroupQueue {
    let groups = this.topics.get(topic);
    if (!groups) {
      groups = new Map();
      this.topics.set(topic, groups);
    }
    let queue = groups.get(group);
    if (!queue) {
      queue = new ConsumerGroupQueue();
      groups.set(group, queue);
    }
    return queue;
  }

  /** Puts a message in the queue of every group of its topic; with no group yet it goes nowhere. */
  publish(message: StoredMessage): void {
    this.sequence += 1;
    for (const queue of this.topics.get(message.topic)?.values() ?? []) queue.enqueue(message, this.sequence);
  }

  /** Drops every topic and queue; running handlers still settle. */
  clear(): void {
    for (const groups of this.topics.values()) for (const queue of groups.values()) queue.dispose();
    this.topics.clear();
  }
}
