import type { Redis } from 'ioredis';
import type { MessageHandler, PubSubMessage, PubSubSubscription } from '@outrigger/components-api';
import { delay, errorMessage, TurnBatch, type Logger } from '@outrigger/kit';
import { isUnknownCommand } from './connection.js';
import type { RedisPubSubSettings } from './pubsub-settings.js';
import { decodeEntry, type StreamEntry } from './stream-entry.js';

/** What a subscription needs from its component. */
export interface StreamSubscriptionContext {
  /** The component's shared connection: acknowledgements, claims, group creation. */
  readonly main: Redis;
  /** This subscription's own connection, for the blocking XREADGROUP. */
  readonly reader: Redis;
  readonly settings: RedisPubSubSettings;
  readonly logger: Logger;
  readonly topic: string;
  readonly handler: MessageHandler;
  /** Called once the subscription has closed, so the component can forget it. */
  readonly onClosed: () => void;
}

/** Back-off while Redis cannot be read: grows from 100 ms to 2 s. */
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2000;

/**
 * One subscription on a Redis stream, in consumer group `consumerID` (whose consumer name is also
 * `consumerID`, as in Dapr, so every sidecar of the group shares one pending list).
 *
 * - New entries come from a blocking XREADGROUP that asks for no more entries than there are free
 *   handler slots, so nothing waits in a local buffer where no other consumer could take it.
 * - An acknowledged message is XACKed; the messages handled in one turn of the event loop go in one
 *   XACK, so their slots come free together and the next read fetches for all of them. A rejected one
 *   is given back: its idle time is set to
 *   `processingTimeout`, so the next reclaim pass (of any consumer of the group) delivers it again.
 * - Every `redeliverInterval`, entries pending longer than `processingTimeout` are claimed
 *   (XAUTOCLAIM), which is how the messages of a consumer that died are taken over.
 * - While a handler runs, its entry is renewed (XCLAIM JUSTID resets its idle time) every third of
 *   `processingTimeout`, so a slow handler is not mistaken for a dead one.
 * - When Redis goes away, reads fail and are retried with back-off until it is back; ioredis reconnects.
 */
export class StreamSubscription implements PubSubSubscription {
  private closed = false;
  private readonly running = new Map<string, Promise<void>>();
  private readonly stop = new AbortController();
  private slotFreed: (() => void) | undefined;
  private readonly loop: Promise<void>;
  private readonly timers: NodeJS.Timeout[] = [];
  private reclaiming = false;
  private useAutoClaim = true;
  private readerId: number | undefined;
  private closing: Promise<void> | undefined;
  private failing = false;
  /** Ids handled this turn, acknowledged together at its end (see {@link acknowledge}). */
  private readonly acks = new TurnBatch<{ readonly id: string; readonly done: () => void }>((batch) => {
    void this.sendAcks(batch.map((ack) => ack.id)).then(() => {
      for (const ack of batch) ack.done();
    });
  });

  constructor(private readonly context: StreamSubscriptionContext) {
    const { redeliverIntervalMs, processingTimeoutMs } = context.settings;
    if (redeliverIntervalMs > 0 && processingTimeoutMs > 0) {
      this.timers.push(setInterval(() => void this.reclaim(), redeliverIntervalMs));
      this.timers.push(setInterval(() => void this.renew(), Math.max(50, Math.floor(processingTimeoutMs / 3))));
      void this.reclaim();
    }
    for (const timer of this.timers) timer.unref();
    this.loop = this.readLoop();
  }

  /** Stops reading, waits for running handlers (each acknowledges or gives back its message), then closes the reader. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    this.stop.abort();
    for (const timer of this.timers) clearInterval(timer);
    this.slotFreed?.();
    await this.unblockReader();
    // A read sent just after the unblock would block for readTimeout: give the loop a moment, then drop the connection.
    const stopped = await Promise.race([this.loop.then(() => true), delay(250).then(() => false)]);
    if (!stopped) this.context.reader.disconnect();
    await this.loop;
    await Promise.allSettled([...this.running.values()]);
    this.context.reader.disconnect();
    this.context.onClosed();
  }

  /** Ends a blocked XREADGROUP at once (CLIENT UNBLOCK); drops the reader connection when that cannot be sent. */
  private async unblockReader(): Promise<void> {
    try {
      if (this.readerId === undefined) throw new Error('reader id unknown');
      await this.context.main.client('UNBLOCK', this.readerId);
    } catch {
      // Entries a dropped read had already taken stay pending and are reclaimed after processingTimeout.
      this.context.reader.disconnect();
    }
  }

  private async readLoop(): Promise<void> {
    const { reader, settings, topic } = this.context;
    let attempt = 0;
    while (!this.closed) {
      const free = settings.concurrency - this.running.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => { this.slotFreed = resolve; });
        this.slotFreed = undefined;
        continue;
      }
      try {
        this.readerId ??= Number(await reader.client('ID'));
        const reply = await reader.xreadgroupBuffer('GROUP', settings.consumerID, settings.consumerID,
          'COUNT', Math.min(free, settings.queueDepth), 'BLOCK', settings.connection.readTimeoutMs, 'STREAMS', topic, '>');
        attempt = 0;
        this.recovered();
        for (const [, entries] of reply ?? []) {
          for (const entry of entries as StreamEntry[]) this.dispatch(entry);
        }
      } catch (error) {
        if (this.closed) break;
        // A reader connection that was replaced has a new client id.
        this.readerId = undefined;
        await this.onReadError(error);
        attempt += 1;
        await delay(Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(attempt - 1, 5)), this.stop.signal).catch(() => undefined);
      }
    }
  }

  private async onReadError(error: unknown): Promise<void> {
    const message = errorMessage(error);
    if (/NOGROUP/.test(message)) {
      // The stream or group is gone (a server that lost its data, or someone deleted it): recreate it, as Dapr does.
      this.context.logger.warn(`redis streams: consumer group ${this.context.settings.consumerID} does not exist for stream ${this.context.topic}; recreating it`);
      await ensureGroup(this.context.main, this.context.topic, this.context.settings.consumerID).catch(() => undefined);
      return;
    }
    if (!this.failing) this.context.logger.warn(`redis streams: error reading from stream ${this.context.topic}: ${message}; retrying`);
    this.failing = true;
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.context.logger.info(`redis streams: reading from stream ${this.context.topic} again`);
  }

  /** Starts a handler for an entry, unless this subscription already runs one for it. */
  private dispatch(entry: StreamEntry): void {
    const id = entry[0].toString();
    if (this.running.has(id)) return;
    if (this.closed) {
      // Read while closing: give it back rather than start work the close would wait for.
      void this.giveBack(id);
      return;
    }
    const message: PubSubMessage = decodeEntry(this.context.topic, entry, this.context.logger);
    const task = (async () => {
      let handled = true;
      try {
        await this.context.handler(message);
      } catch {
        handled = false;
      }
      // Still counted as running until Redis has the outcome, so close() waits for it.
      if (handled) await this.acknowledge(id);
      else await this.giveBack(id);
      this.running.delete(id);
      this.slotFreed?.();
    })();
    this.running.set(id, task);
  }

  /**
   * Acknowledges the entry with the others handled in this turn of the event loop, in one XACK sent at
   * the end of the turn; settles once Redis answered it.
   */
  private acknowledge(id: string): Promise<void> {
    return new Promise((done) => this.acks.add({ id, done }));
  }

  private async sendAcks(ids: readonly string[]): Promise<void> {
    const { main, settings, topic } = this.context;
    try {
      await main.xack(topic, settings.consumerID, ...ids);
    } catch (error) {
      // Still pending: they will be delivered again after processingTimeout (at least once).
      this.context.logger.warn(`redis streams: could not acknowledge ${ids.length === 1 ? `message ${ids[0]}` : `${ids.length} messages`} on ${topic}: ${errorMessage(error)}; they will be redelivered`);
    }
  }

  /** Makes a pending entry due for redelivery now, by setting its idle time to processingTimeout. */
  private async giveBack(id: string): Promise<void> {
    const { main, settings, topic } = this.context;
    try {
      await main.xclaim(topic, settings.consumerID, settings.consumerID, 0, id, 'IDLE', settings.processingTimeoutMs, 'JUSTID');
    } catch {
      // Then it is redelivered once processingTimeout has passed since it was read.
    }
  }

  /** Resets the idle time of the entries whose handlers are running. */
  private async renew(): Promise<void> {
    const ids = [...this.running.keys()];
    if (ids.length === 0 || this.closed) return;
    const { main, settings, topic } = this.context;
    await main.xclaim(topic, settings.consumerID, settings.consumerID, 0, ...ids, 'JUSTID').catch(() => undefined);
  }

  /** Claims entries pending longer than processingTimeout (a dead consumer's, or given back) and runs them. */
  private async reclaim(): Promise<void> {
    if (this.reclaiming || this.closed) return;
    this.reclaiming = true;
    try {
      let cursor = '0-0';
      do {
        const free = this.context.settings.concurrency - this.running.size;
        if (free <= 0) break;
        cursor = this.useAutoClaim ? await this.autoClaim(cursor, free) : await this.claimFromPendingList(free);
      } while (cursor !== '0-0' && !this.closed);
    } catch (error) {
      if (this.useAutoClaim && isUnknownCommand(error)) {
        // Redis before 6.2: XPENDING and XCLAIM from the next pass on.
        this.useAutoClaim = false;
      } else if (!this.failing) {
        this.context.logger.debug(`redis streams: reclaiming pending messages of ${this.context.topic} failed: ${errorMessage(error)}`);
      }
    } finally {
      this.reclaiming = false;
    }
  }

  private async autoClaim(cursor: string, count: number): Promise<string> {
    const { main, settings, topic } = this.context;
    const reply = await main.callBuffer('XAUTOCLAIM', topic, settings.consumerID, settings.consumerID, settings.processingTimeoutMs, cursor, 'COUNT', count) as [Buffer, (StreamEntry | null)[]];
    for (const entry of reply[1]) {
      // Redis 6.2 answers nil for a pending entry trimmed from the stream; acknowledge it away.
      if (entry && entry[1]) this.dispatch(entry);
    }
    return reply[0].toString();
  }

  private async claimFromPendingList(count: number): Promise<string> {
    const { main, settings, topic } = this.context;
    const pending = await main.xpending(topic, settings.consumerID, '-', '+', count) as [string, string, number, number][];
    const due = pending.filter(([, , idle]) => idle >= settings.processingTimeoutMs).map(([id]) => id);
    if (due.length > 0) {
      const claimed = await main.callBuffer('XCLAIM', topic, settings.consumerID, settings.consumerID, settings.processingTimeoutMs, ...due) as StreamEntry[];
      for (const entry of claimed) this.dispatch(entry);
    }
    return '0-0';
  }
}

/** Creates the consumer group (and the stream) if missing, reading from the stream's start as Dapr does. */
export async function ensureGroup(main: Redis, topic: string, group: string): Promise<void> {
  try {
    await main.xgroup('CREATE', topic, group, '0', 'MKSTREAM');
  } catch (error) {
    if (!/BUSYGROUP/.test(errorMessage(error))) throw error;
  }
}
