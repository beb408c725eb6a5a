import type { Database, Statement } from 'better-sqlite3';

/*
 * Tables of `pubsub.sqlite` (all times are epoch milliseconds):
 * - topic_groups(topic, consumer_group): the durable groups of a topic, registered when a group first
 *   subscribes. A publish fans out to the groups registered at that moment.
 * - messages(id, topic, data, content_type, metadata, published_at, expires_at): one row per publish
 *   that had at least one group, or that waits for the topic's first group (see unclaimed); deleted once
 *   no delivery refers to it.
 * - unclaimed(message_id, topic, until): messages published while their topic had no group. The first
 *   group to subscribe to the topic gets a delivery for each one whose `until` has not passed, and the
 *   rows go; past `until`, the clean-up deletes them with their message.
 * - deliveries(id, consumer_group, topic, message_id, available_at, lease_owner, lease_until, attempts):
 *   one row per (group, message) until the group acknowledges it. A row is deliverable when
 *   available_at has passed and it has no live lease; leasing stamps lease_owner and lease_until.
 * - meta(key, value): the schema version.
 */

/** 2 added `unclaimed`; a version-1 file gains the table when a newer process opens it. */
export const SCHEMA_VERSION = 2;

/** A delivery leased by one subscription. */
export interface LeasedRow {
  readonly id: number;
  readonly message_id: number;
  readonly attempts: number;
}

export interface MessageRow {
  readonly id: number;
  readonly topic: string;
  readonly data: Buffer;
  readonly content_type: string | null;
  readonly metadata: string | null;
  readonly expires_at: number | null;
}

export interface PubSubStatements {
  readonly registerGroup: Statement<[{ topic: string; group: string; now: number }]>;
  /** A message published while its topic had no group, kept for the first group until `until`. */
  readonly insertUnclaimed: Statement<[{ messageId: number | bigint; topic: string; until: number }]>;
  /** One delivery for `group` per unclaimed, unexpired message of the topic. */
  readonly claimUnclaimed: Statement<[{ group: string; topic: string; now: number }]>;
  /** Forgets the claimed rows; those past `until` stay for the clean-up, which deletes their message. */
  readonly forgetClaimed: Statement<[{ topic: string; now: number }]>;
  readonly hasGroups: Statement<[string], { found: number }>;
  readonly insertMessage: Statement<[{ topic: string; data: Buffer; contentType: string | null; metadata: string | null; now: number; expiresAt: number | null }]>;
  /** One delivery per registered group of the topic. */
  readonly fanOut: Statement<[{ topic: string; messageId: number | bigint; now: number }]>;
  /** A cheap read-only check whether a lease would find anything; WAL readers take no lock. */
  readonly peek: Statement<[{ group: string; topic: string; now: number }], { found: number }>;
  readonly lease: Statement<[{ group: string; topic: string; now: number; owner: string; until: number; limit: number }], LeasedRow>;
  readonly getMessage: Statement<[number], MessageRow>;
  readonly deleteDelivery: Statement<[number]>;
  readonly deleteOrphanMessage: Statement<[{ messageId: number }]>;
  /** Gives a leased row back for a later attempt; only while this owner still holds the lease. */
  readonly nack: Statement<[{ id: number; owner: string; availableAt: number }]>;
  /** Extends every lease of a subscription; its leased rows are exactly its handlers in flight. */
  readonly renew: Statement<[{ owner: string; until: number }]>;
  readonly release: Statement<[string]>;
  readonly staleMessages: Statement<[{ now: number; cutoff: number; limit: number }], { id: number }>;
  readonly deleteDeliveriesOf: Statement<[string]>;
  readonly deleteMessages: Statement<[string]>;
  readonly deleteUnclaimedOf: Statement<[string]>;
}

/**
 * Creates the tables once, also when several processes open a new file at the same moment: the
 * version check and the DDL run in one EXCLUSIVE transaction.
 */
export function migratePubSub(db: Database, prefix: string): void {
  db.transaction(() => {
    db.prepare(`CREATE TABLE IF NOT EXISTS ${prefix}meta (key TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL)`).run();
    const row = db.prepare(`SELECT value FROM ${prefix}meta WHERE key = 'schema-version'`).get() as { value: string } | undefined;
    const version = row ? Number(row.value) : 0;
    if (version > SCHEMA_VERSION) throw new Error(`pub/sub tables have schema version ${version}; this Outrigger knows up to ${SCHEMA_VERSION}`);
    if (version >= SCHEMA_VERSION) return;
    db.exec(`
      CREATE TABLE IF NOT EXISTS ${prefix}topic_groups (
        topic TEXT NOT NULL, consumer_group TEXT NOT NULL, registered_at INTEGER NOT NULL,
        PRIMARY KEY (topic, consumer_group)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ${prefix}messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, data BLOB NOT NULL,
        content_type TEXT, metadata TEXT, published_at INTEGER NOT NULL, expires_at INTEGER);
      CREATE INDEX IF NOT EXISTS ${prefix}messages_expiry ON ${prefix}messages (expires_at) WHERE expires_at IS NOT NULL;
      CREATE INDEX IF NOT EXISTS ${prefix}messages_published ON ${prefix}messages (published_at);
      CREATE TABLE IF NOT EXISTS ${prefix}deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT, consumer_group TEXT NOT NULL, topic TEXT NOT NULL,
        message_id INTEGER NOT NULL, available_at INTEGER NOT NULL,
        lease_owner TEXT, lease_until INTEGER, attempts INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX IF NOT EXISTS ${prefix}deliveries_fetch ON ${prefix}deliveries (consumer_group, topic, id);
      CREATE INDEX IF NOT EXISTS ${prefix}deliveries_message ON ${prefix}deliveries (message_id);
      CREATE INDEX IF NOT EXISTS ${prefix}deliveries_owner ON ${prefix}deliveries (lease_owner) WHERE lease_owner IS NOT NULL;
      CREATE TABLE IF NOT EXISTS ${prefix}unclaimed (
        message_id INTEGER NOT NULL PRIMARY KEY, topic TEXT NOT NULL, until INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS ${prefix}unclaimed_topic ON ${prefix}unclaimed (topic, message_id);
      CREATE INDEX IF NOT EXISTS ${prefix}unclaimed_until ON ${prefix}unclaimed (until);
    `);
    db.prepare(`REPLACE INTO ${prefix}meta (key, value) VALUES ('schema-version', ?)`).run(String(SCHEMA_VERSION));
  }).exclusive();
}

export function preparePubSubStatements(db: Database, prefix: string): PubSubStatements {
  const groups = `${prefix}topic_groups`;
  const messages = `${prefix}messages`;
  const deliveries = `${prefix}deliveries`;
  const unclaimed = `${prefix}unclaimed`;
  // Deliverable: its back-off is over and nobody holds a live lease (a dead consumer's lease runs out).
  const deliverable = 'consumer_group = @group AND topic = @topic AND available_at <= @now AND (lease_until IS NULL OR lease_until <= @now)';
  return {
    registerGroup: db.prepare(`INSERT OR IGNORE INTO ${groups} (topic, consumer_group, registered_at) VALUES (@topic, @group, @now)`),
    hasGroups: db.prepare(`SELECT 1 AS found FROM ${groups} WHERE topic = ? LIMIT 1`),
    insertUnclaimed: db.prepare(`INSERT INTO ${unclaimed} (message_id, topic, until) VALUES (@messageId, @topic, @until)`),
    claimUnclaimed: db.prepare(`INSERT INTO ${deliveries} (consumer_group, topic, message_id, available_at)
      SELECT @group, u.topic, u.message_id, @now FROM ${unclaimed} u JOIN ${messages} m ON m.id = u.message_id
      WHERE u.topic = @topic AND u.until > @now AND (m.expires_at IS NULL OR m.expires_at > @now) ORDER BY u.message_id`),
    // A message whose TTL ran out was not claimed; with its row gone, the clean-up finds it by its expiry.
    forgetClaimed: db.prepare(`DELETE FROM ${unclaimed} WHERE topic = @topic AND until > @now`),
    insertMessage: db.prepare(`INSERT INTO ${messages} (topic, data, content_type, metadata, published_at, expires_at)
      VALUES (@topic, @data, @contentType, @metadata, @now, @expiresAt)`),
    fanOut: db.prepare(`INSERT INTO ${deliveries} (consumer_group, topic, message_id, available_at)
      SELECT consumer_group, topic, @messageId, @now FROM ${groups} WHERE topic = @topic`),
    peek: db.prepare(`SELECT 1 AS found FROM ${deliveries} WHERE ${deliverable} LIMIT 1`),
    lease: db.prepare(`UPDATE ${deliveries} SET lease_owner = @owner, lease_until = @until, attempts = attempts + 1
      WHERE id IN (SELECT id FROM ${deliveries} WHERE ${deliverable} ORDER BY id LIMIT @limit)
      RETURNING id, message_id, attempts`),
    getMessage: db.prepare(`SELECT id, topic, data, content_type, metadata, expires_at FROM ${messages} WHERE id = ?`),
    deleteDelivery: db.prepare(`DELETE FROM ${deliveries} WHERE id = ?`),
    deleteOrphanMessage: db.prepare(`DELETE FROM ${messages} WHERE id = @messageId
      AND NOT EXISTS (SELECT 1 FROM ${deliveries} WHERE message_id = @messageId)`),
    nack: db.prepare(`UPDATE ${deliveries} SET lease_owner = NULL, lease_until = NULL, available_at = @availableAt
      WHERE id = @id AND lease_owner = @owner`),
    renew: db.prepare(`UPDATE ${deliveries} SET lease_until = @until WHERE lease_owner = @owner`),
    release: db.prepare(`UPDATE ${deliveries} SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?`),
    staleMessages: db.prepare(`SELECT id FROM ${messages}
      WHERE (expires_at IS NOT NULL AND expires_at <= @now) OR published_at < @cutoff
        OR id IN (SELECT message_id FROM ${unclaimed} WHERE until <= @now) LIMIT @limit`),
    deleteDeliveriesOf: db.prepare(`DELETE FROM ${deliveries} WHERE message_id IN (SELECT value FROM json_each(?))`),
    deleteMessages: db.prepare(`DELETE FROM ${messages} WHERE id IN (SELECT value FROM json_each(?))`),
    deleteUnclaimedOf: db.prepare(`DELETE FROM ${unclaimed} WHERE message_id IN (SELECT value FROM json_each(?))`),
  };
}
