import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type {
  BulkPublisher, ComponentContext, MessageHandler, PublishRequest, PubSubFeature, PubSubSubscription, SubscribeRequest,
} from '@outrigger/components-api';
import { TurnBatch, type Logger } from '@outrigger/kit';
import { checkTopic, copyMetadata, messageExpiry } from './pubsub-common.js';
import { migratePubSub, preparePubSubStatements, type PubSubStatements } from './pubsub-sqlite-schema.js';
import { parseSqlitePubSubSettings, type SqlitePubSubSettings } from './pubsub-sqlite-settings.js';
import { SqliteSubscription } from './pubsub-sqlite-subscription.js';
import { setJournalMode } from './sqlite-journal.js';

interface Open {
  readonly db: Database.Database;
  readonly statements: PubSubStatements;
  readonly settings: SqlitePubSubSettings;
  readonly logger: Logger;
}

/** A publish checked and encoded before the transaction starts, so a bad entry cannot abort it halfway. */
interface Prepared {
  readonly topic: string;
  readonly data: Buffer;
  readonly contentType: string | null;
  readonly metadata: string | null;
  readonly expiresAt: number | null;
}

/** A publish waiting for the commit of its turn (see {@link SqlitePubSub.publish}). */
interface QueuedPublish {
  readonly prepared: Prepared;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Expired or retained-too-long messages deleted per clean-up transaction. */
const CLEANUP_BATCH = 500;

/**
 * `pubsub.sqlite`: a durable, at-least-once broker in one SQLite file, shared by the sidecars of one
 * machine (an Outrigger component; Dapr has no such broker). Tables and their meaning: see
 * pubsub-sqlite-schema.ts; delivery loop: pubsub-sqlite-subscription.ts.
 *
 * Semantics: a consumer group receives every message published after the group first subscribed to
 * the topic (from any process), including while none of its subscribers runs. Messages published to a
 * topic no group has subscribed to yet wait up to `unclaimedRetention` for the first group that does
 * (as a publisher that starts before its subscriber expects; Dapr's default Redis broker keeps them
 * too). Within a group, subscriptions in any process compete
 * for messages. A rejected message comes back after a back-off of 100 ms doubling to 2 s; a message
 * leased by a consumer that died comes back after `visibilityTimeout`. Order is publish order per topic
 * for fetching, but concurrent handlers and redeliveries mean handlers may finish out of order.
 *
 * Like `state.sqlite`, every write is a short `BEGIN IMMEDIATE` transaction on a WAL database with a
 * busy timeout; better-sqlite3 is synchronous, so a write blocks the event loop while it waits for the
 * lock, for at most `busyTimeout`.
 */
export class SqlitePubSub implements BulkPublisher {
  private open: Open | undefined;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private cleaning = false;
  private readonly subscriptions = new Set<SqliteSubscription>();
  private readonly queued = new TurnBatch<QueuedPublish>((batch) => this.commitPublishes(batch));

  async init(context: ComponentContext): Promise<void> {
    const settings = parseSqlitePubSubSettings(context.metadata, context.appId);
    const db = new Database(settings.filename, { timeout: settings.busyTimeoutMs });
    try {
      db.pragma(`busy_timeout = ${settings.busyTimeoutMs}`);
      await setJournalMode(db, settings.memory ? 'MEMORY' : 'WAL', settings.busyTimeoutMs);
      // With WAL, NORMAL survives any process crash (the case a sidecar broker must survive) and
      // skips an fsync per commit; a power loss may lose the last commits. `_pragma=synchronous(FULL)` overrides.
      db.pragma('synchronous = NORMAL');
      for (const [name, value] of settings.pragmas) db.pragma(`${name} = ${value}`);
      migratePubSub(db, settings.tablePrefix);
      this.open = { db, statements: preparePubSubStatements(db, settings.tablePrefix), settings, logger: context.logger };
    } catch (error) {
      db.close();
      throw error;
    }
    if (settings.cleanupIntervalMs > 0) {
      this.cleanupTimer = setInterval(() => void this.runCleanup(), settings.cleanupIntervalMs);
      this.cleanupTimer.unref();
    }
  }

  /** Closes every subscription (waiting for their handlers, so acknowledgements land), then the database. */
  async close(): Promise<void> {
    if (this.cleanupTimer) clearInterval(this.cleanupTimer);
    this.cleanupTimer = undefined;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    this.queued.flush();
    this.open?.db.close();
    this.open = undefined;
  }

  features(): readonly PubSubFeature[] {
    return ['MESSAGE_TTL', 'BULK_PUBLISH'];
  }

  /**
   * Stores the message once the publishes of this turn of the event loop are committed, together, in one
   * transaction (see {@link commitPublishes}); answers after that commit.
   */
  async publish(request: PublishRequest): Promise<void> {
    this.opened();
    const prepared = prepare(request);
    return new Promise<void>((resolve, reject) => this.queued.add({ prepared, resolve, reject }));
  }

  /**
   * Commits the queued publishes in one IMMEDIATE transaction: one write lock, one commit and one share
   * of the WAL's checkpoints for all the publishes that came in together, instead of one each (a commit
   * was most of a publish's cost on the event loop). A failed commit (a database busy past its timeout)
   * stores none of them and fails each.
   */
  private commitPublishes(batch: readonly QueuedPublish[]): void {
    try {
      const { db } = this.opened();
      const now = Date.now();
      db.transaction(() => {
        for (const entry of batch) this.insert(entry.prepared, now);
      }).immediate();
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return;
    }
    for (const entry of batch) entry.resolve();
    for (const topic of new Set(batch.map((entry) => entry.prepared.topic))) this.wakeSubscribers(topic);
  }

  /** Publishes every valid entry in one transaction; an invalid entry (a malformed TTL) fails alone. */
  async bulkPublish(topic: string, entries: readonly (PublishRequest & { readonly entryId: string })[]): Promise<{ entryId: string; error: string }[]> {
    const { db } = this.opened();
    const failed: { entryId: string; error: string }[] = [];
    const valid: { entryId: string; prepared: Prepared }[] = [];
    for (const entry of entries) {
      try {
        valid.push({ entryId: entry.entryId, prepared: prepare({ ...entry, topic }) });
      } catch (error) {
        failed.push({ entryId: entry.entryId, error: errorText(error) });
      }
    }
    if (valid.length === 0) return failed;
    try {
      const now = Date.now();
      db.transaction(() => {
        for (const { prepared } of valid) this.insert(prepared, now);
      }).immediate();
    } catch (error) {
      // The transaction rolled back: none of the valid entries was published.
      for (const { entryId } of valid) failed.push({ entryId, error: errorText(error) });
      return failed;
    }
    this.wakeSubscribers(topic);
    return failed;
  }

  async subscribe(request: SubscribeRequest, handler: MessageHandler): Promise<PubSubSubscription> {
    const open = this.opened();
    checkTopic(request.topic);
    const { db, statements, settings, logger } = open;
    // From this commit on, every publish to the topic (from any process) fans out to this group too. The
    // messages that waited for a first group become this group's: publishes and registrations each
    // hold the write lock, so a message is either fanned out or claimed, never both nor neither.
    db.transaction(() => {
      const now = Date.now();
      statements.registerGroup.run({ topic: request.topic, group: settings.group, now });
      statements.claimUnclaimed.run({ topic: request.topic, group: settings.group, now });
      statements.forgetClaimed.run({ topic: request.topic, now });
    }).immediate();
    const subscription: SqliteSubscription = new SqliteSubscription({
      db, statements, settings, logger, handler,
      topic: request.topic,
      owner: `${process.pid}-${randomUUID()}`,
      onClosed: () => this.subscriptions.delete(subscription),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  /**
   * Deletes expired messages, messages that waited for a first group past `unclaimedRetention` and, with
   * a `retentionPeriod`, messages older than it, with their deliveries. It goes on until none is left, in
   * transactions of a few hundred messages with a turn of the event loop between them, so a large
   * backlog (a busy topic nobody subscribes to) is cleared without holding the loop or the write lock
   * for long. The timer calls it; exposed for operators and tests. Stops early when the component closes.
   * @returns messages deleted.
   */
  async cleanup(): Promise<number> {
    let deleted = 0;
    // Read afresh each round: close() clears it, and the clean-up then stops.
    for (let open = this.open; open !== undefined; open = this.open) {
      const { db, statements, settings } = open;
      const now = Date.now();
      const cutoff = settings.retentionMs > 0 ? now - settings.retentionMs : -1;
      const count = db.transaction(() => {
        const ids = JSON.stringify(statements.staleMessages.all({ now, cutoff, limit: CLEANUP_BATCH }).map((row) => row.id));
        statements.deleteDeliveriesOf.run(ids);
        statements.deleteUnclaimedOf.run(ids);
        return statements.deleteMessages.run(ids).changes;
      }).immediate();
      deleted += count;
      if (count < CLEANUP_BATCH) break;
      await nextTurn();
    }
    return deleted;
  }

  /**
   * Stores the message and one delivery per registered group; on a topic with no group, stores it to
   * wait for the first one (or, with `unclaimedRetention` 0, stores nothing).
   */
  private insert(prepared: Prepared, now: number): void {
    const { statements, settings } = this.opened();
    const hasGroups = statements.hasGroups.get(prepared.topic) !== undefined;
    if (!hasGroups && settings.unclaimedRetentionMs === 0) return;
    const { lastInsertRowid } = statements.insertMessage.run({ ...prepared, now });
    if (hasGroups) statements.fanOut.run({ topic: prepared.topic, messageId: lastInsertRowid, now });
    else statements.insertUnclaimed.run({ messageId: lastInsertRowid, topic: prepared.topic, until: now + settings.unclaimedRetentionMs });
  }

  /** Subscribers in this process hear of a publish at once; other processes find it at their next poll. */
  private wakeSubscribers(topic: string): void {
    for (const subscription of this.subscriptions) if (subscription.topic === topic) subscription.wake();
  }

  private async runCleanup(): Promise<void> {
    const open = this.open;
    // A tick that comes while the last clean-up still works through a backlog leaves it to that one.
    if (!open || this.cleaning) return;
    this.cleaning = true;
    try {
      const deleted = await this.cleanup();
      if (deleted > 0) open.logger.debug(`pubsub.sqlite: deleted ${deleted} expired messages`);
    } catch (error) {
      // A busy database must not crash the sidecar; the next tick tries again.
      open.logger.warn(`pubsub.sqlite: clean-up failed: ${errorText(error)}`);
    } finally {
      this.cleaning = false;
    }
  }

  private opened(): Open {
    if (!this.open) throw new Error('sqlite pub/sub is not initialised');
    return this.open;
  }
}

function prepare(request: PublishRequest): Prepared {
  checkTopic(request.topic);
  const metadata = copyMetadata(request.metadata);
  return {
    topic: request.topic,
    // A view of the same bytes: better-sqlite3 binds Buffers as BLOBs and copies them into the database.
    data: Buffer.from(request.data.buffer, request.data.byteOffset, request.data.byteLength),
    contentType: request.contentType ?? null,
    metadata: metadata === undefined ? null : JSON.stringify(metadata),
    expiresAt: messageExpiry(request.metadata) ?? null,
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
