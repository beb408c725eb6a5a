import type { Database } from 'better-sqlite3';
import type { MessageHandler, PubSubMessage, PubSubSubscription } from '@outrigger/components-api';
import type { Logger } from '@outrigger/kit';
import { redeliveryDelayMs } from './pubsub-common.js';
import type { MessageRow, PubSubStatements } from './pubsub-sqlite-schema.js';
import type { SqlitePubSubSettings } from './pubsub-sqlite-settings.js';

/** What a subscription needs from its component. */
export interface SubscriptionContext {
  readonly db: Database;
  readonly statements: PubSubStatements;
  readonly settings: SqlitePubSubSettings;
  readonly logger: Logger;
  /** Unique among every process sharing the file: marks the leases this subscription holds. */
  readonly owner: string;
  readonly topic: string;
  readonly handler: MessageHandler;
  /** Called once the subscription has closed, so the component can forget it. */
  readonly onClosed: () => void;
}

interface Delivery {
  readonly id: number;
  readonly messageId: number;
  readonly attempts: number;
  readonly message: PubSubMessage;
}

/**
 * One subscription's fetch loop on `pubsub.sqlite`. It leases at most as many deliveries as it has
 * free handler slots, so every leased row is in a handler: nothing sits prefetched where another
 * consumer could have taken it. While it holds leases it renews them every third of the visibility
 * timeout, so only a dead consumer's leases run out. The loop fetches again at once while fetches
 * return messages and waits `pollInterval` when idle; a publish from the same process wakes it early.
 *
 * Handlers that finish in one turn of the event loop are acknowledged, and their slots refilled, in one
 * transaction at the end of that turn: one commit for the turn instead of one per acknowledgement batch
 * plus one per freed slot (a lease of one row each, which was most of a delivery's cost).
 */
export class SqliteSubscription implements PubSubSubscription {
  private closed = false;
  private readonly running = new Set<Promise<void>>();
  private wakeUp: (() => void) | undefined;
  private wakePending = false;
  private readonly loop: Promise<void>;
  private readonly renewTimer: NodeJS.Timeout;
  private closing: Promise<void> | undefined;
  /** Deliveries handled and not yet deleted (see {@link acknowledge}). */
  private handled: Delivery[] = [];

  constructor(private readonly context: SubscriptionContext) {
    this.renewTimer = setInterval(() => this.renewLeases(), Math.max(10, Math.floor(context.settings.visibilityTimeoutMs / 3)));
    this.renewTimer.unref();
    this.loop = this.run();
  }

  get topic(): string {
    return this.context.topic;
  }

  /** Ends an idle wait early: a message was published here, or a handler slot came free. */
  wake(): void {
    if (this.wakeUp) this.wakeUp();
    else this.wakePending = true;
  }

  /** Stops fetching, waits for running handlers to settle (acknowledging or giving back each), then releases any lease left. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    this.wake();
    await this.loop;
    await Promise.allSettled([...this.running]);
    // Before the leases go: a handled delivery whose lease were released first would come again.
    this.guard('acknowledge messages', () => this.commitHandled((acknowledged) => this.context.db.transaction(() => this.deleteHandled(acknowledged)).immediate()));
    clearInterval(this.renewTimer);
    // Normally nothing is left; this covers an acknowledgement or give-back that failed on a busy database.
    this.guard('release leases', () => this.context.statements.release.run(this.context.owner));
    this.context.onClosed();
  }

  private async run(): Promise<void> {
    const { concurrency, pollIntervalMs } = this.context.settings;
    while (!this.closed) {
      const free = concurrency - this.running.size;
      if (free === 0) {
        // Every slot busy: a settling handler wakes the loop.
        await this.idle(undefined);
        continue;
      }
      // While handlers run, wait for the end of the turn: the others finishing in it free their slots too.
      if (this.running.size > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.closed) break;
      const leased = this.guard('fetch messages', () => this.fetch(concurrency - this.running.size)) ?? 0;
      // Something came: look again at once. Nothing: wait for the interval or a wake-up.
      if (leased === 0 && !this.closed) await this.idle(pollIntervalMs);
    }
  }

  /** Waits `ms`, or with no `ms` until woken. */
  private idle(ms: number | undefined): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer) clearTimeout(timer);
        this.wakeUp = undefined;
        resolve();
      };
      if (ms !== undefined) timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  /**
   * In one short IMMEDIATE transaction, deletes the handled deliveries and leases up to `limit` new ones,
   * then starts their handlers. @returns rows leased.
   */
  private fetch(limit: number): number {
    const { db, statements, settings, topic, owner } = this.context;
    const now = Date.now();
    // A read in WAL mode takes no lock: idle polls never queue for the write lock other processes need.
    if (this.handled.length === 0 && !statements.peek.get({ group: settings.group, topic, now })) return 0;
    const { leased, deliveries } = this.commitHandled((acknowledged) => db.transaction(() => {
      this.deleteHandled(acknowledged);
      const rows = statements.lease.all({ group: settings.group, topic, now, owner, until: now + settings.visibilityTimeoutMs, limit });
      rows.sort((a, b) => a.id - b.id);
      const ready: Delivery[] = [];
      for (const row of rows) {
        const message = statements.getMessage.get(row.message_id);
        if (!message || (message.expires_at !== null && message.expires_at <= now)) {
          // Expired while waiting: acknowledged without delivery, as MESSAGE_TTL promises.
          statements.deleteDelivery.run(row.id);
          statements.deleteOrphanMessage.run({ messageId: row.message_id });
          continue;
        }
        ready.push({ id: row.id, messageId: row.message_id, attempts: row.attempts, message: toMessage(message) });
      }
      return { leased: rows.length, deliveries: ready };
    }).immediate());
    for (const delivery of deliveries) this.start(delivery);
    return leased;
  }

  private start(delivery: Delivery): void {
    const run: Promise<void> = Promise.resolve()
      .then(() => this.context.handler(delivery.message))
      .then(() => this.acknowledge(delivery), () => this.giveBack(delivery))
      .finally(() => {
        this.running.delete(run);
        this.wake();
      });
    this.running.add(run);
  }

  /**
   * Queues the delivery's deletion for the loop's next transaction (the handler's settling wakes the
   * loop). Until then the delivery stays leased to this subscription, so no one fetches it again meanwhile.
   */
  private acknowledge(delivery: Delivery): void {
    this.handled.push(delivery);
  }

  /**
   * Runs `transaction` with the handled deliveries taken out of the queue. If it fails they go back, for
   * the next one (and if none succeeds, their leases run out and the messages come again: at-least-once,
   * never lost).
   */
  private commitHandled<T>(transaction: (acknowledged: readonly Delivery[]) => T): T {
    const acknowledged = this.handled;
    this.handled = [];
    try {
      return transaction(acknowledged);
    } catch (error) {
      this.handled = acknowledged.concat(this.handled);
      throw error;
    }
  }

  /** Deletes handled deliveries, and their messages once no group needs them; inside a transaction. */
  private deleteHandled(acknowledged: readonly Delivery[]): void {
    const { statements } = this.context;
    for (const delivery of acknowledged) {
      statements.deleteDelivery.run(delivery.id);
      statements.deleteOrphanMessage.run({ messageId: delivery.messageId });
    }
  }

  private giveBack(delivery: Delivery): void {
    const availableAt = Date.now() + redeliveryDelayMs(delivery.attempts);
    this.guard('give a message back', () => this.context.statements.nack.run({ id: delivery.id, owner: this.context.owner, availableAt }));
  }

  private renewLeases(): void {
    if (this.running.size === 0) return;
    const until = Date.now() + this.context.settings.visibilityTimeoutMs;
    this.guard('renew leases', () => this.context.statements.renew.run({ owner: this.context.owner, until }));
  }

  /** Runs a database step; a busy or failing database is logged, never thrown into the loop or a timer. */
  private guard<T>(what: string, step: () => T): T | undefined {
    try {
      return step();
    } catch (error) {
      this.context.logger.warn(`pubsub.sqlite: failed to ${what} on topic ${this.context.topic}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }
}

function toMessage(row: MessageRow): PubSubMessage {
  const metadata = row.metadata === null ? undefined : Object.freeze(JSON.parse(row.metadata) as Record<string, string>);
  return {
    topic: row.topic,
    data: new Uint8Array(row.data),
    contentType: row.content_type ?? undefined,
    metadata,
  };
}
