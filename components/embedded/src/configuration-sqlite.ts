import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import {
  MetadataError, metadataValue, parseBoolean, validateMetadata,
  type ComponentContext, type ConfigurationItem, type ConfigurationItems, type ConfigurationStore,
  type ConfigurationSubscription, type ConfigurationUpdateHandler, type MetadataField,
} from '@outrigger/components-api';
import { errorMessage, parseDuration, type Logger } from '@outrigger/kit';
import {
  migrateConfiguration, prepareConfigurationStatements, toItem, type ConfigurationStatements,
} from './configuration-sqlite-schema.js';
import { parseConnectionString } from './sqlite-settings.js';
import { setJournalMode } from './sqlite-journal.js';

/** `configuration.sqlite` metadata; an Outrigger component, its `table` named as in Dapr's `configuration.postgresql`. */
export const sqliteConfigurationMetadata: readonly MetadataField[] = [
  { name: 'connectionString', aliases: ['url'], required: true, description: 'Database file holding the items: a path or a `file:` URI.' },
  { name: 'table', default: 'configuration', description: 'Items table (`key, value, version, metadata, updated_at`); its change log is `<table>_changes`. Letters, digits and underscores only.' },
  { name: 'pollInterval', kind: 'duration', default: '250ms', description: 'How often subscriptions look for changes made by any writer.' },
  { name: 'busyTimeout', kind: 'duration', default: '2s', description: 'How long a read waits for another process\'s lock on the file (SQLite busy_timeout).' },
  { name: 'disableWAL', kind: 'boolean', default: 'false', description: 'Use the rollback journal instead of WAL; for file systems without shared memory.' },
];

/** Change log entries older than this are deleted; a subscriber stalled for longer misses them (and says so in the log). */
const changeRetentionMs = 10 * 60_000;
const pruneEveryMs = 60_000;
const batchSize = 500;

interface Watcher {
  readonly id: string;
  /** Empty: every key. */
  readonly keys: ReadonlySet<string>;
  /** Changes up to this seq happened before the subscription and are not delivered. */
  readonly startSeq: number;
  readonly handler: ConfigurationUpdateHandler;
}

/**
 * `configuration.sqlite`: items in a SQLite table that any program may write. Subscriptions share one
 * poll loop that reads the change log every `pollInterval` and hands each changed key to the
 * watchers of that key, one change at a time in log order.
 */
export class SqliteConfigurationStore implements ConfigurationStore {
  private db: Database.Database | undefined;
  private statements: ConfigurationStatements | undefined;
  private logger: Logger | undefined;
  private readonly: boolean = false;
  private pollIntervalMs = 250;
  private readonly watchers = new Map<string, Watcher>();
  /** The last change seen by the poll loop. */
  private cursor = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private lastPrune = 0;

  async init(context: ComponentContext): Promise<void> {
    validateMetadata(sqliteConfigurationMetadata, context.metadata);
    const setting = (name: string): string => {
      const field = sqliteConfigurationMetadata.find((candidate) => candidate.name === name);
      return metadataValue(context.metadata, name, ...(field?.aliases ?? [])) || (field?.default ?? '');
    };
    const { filename, readonly, memory } = parseConnectionString(setting('connectionString'));
    const table = setting('table');
    if (!/^[A-Za-z0-9_]+$/.test(table)) throw new MetadataError('table', `invalid identifier: ${table}`);
    this.pollIntervalMs = Math.max(10, parseDuration(setting('pollInterval')));
    const busyTimeoutMs = Math.max(0, Math.trunc(parseDuration(setting('busyTimeout'))));
    const db = new Database(filename, { readonly, timeout: busyTimeoutMs });
    try {
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      if (!memory && !readonly) await setJournalMode(db, parseBoolean(setting('disableWAL')) ? 'DELETE' : 'WAL', busyTimeoutMs);
      if (!readonly) migrateConfiguration(db, table);
      this.statements = prepareConfigurationStatements(db, table);
    } catch (error) {
      db.close();
      throw error;
    }
    this.db = db;
    this.readonly = readonly;
    this.logger = context.logger;
  }

  async close(): Promise<void> {
    this.watchers.clear();
    this.stopPolling();
    await this.polling;
    this.db?.close();
    this.db = undefined;
    this.statements = undefined;
  }

  async get(keys: readonly string[], _metadata: Readonly<Record<string, string>>): Promise<ConfigurationItems> {
    const statements = this.opened();
    const rows = keys.length === 0 ? statements.getAll.all() : statements.getKeys.all(JSON.stringify(keys));
    const items: Record<string, ConfigurationItem> = {};
    for (const row of rows) items[row.key] = toItem(row);
    return items;
  }

  async subscribe(keys: readonly string[], _metadata: Readonly<Record<string, string>>, handler: ConfigurationUpdateHandler): Promise<ConfigurationSubscription> {
    const statements = this.opened();
    const startSeq = statements.lastSeq.get()?.seq ?? 0;
    const watcher: Watcher = { id: randomUUID(), keys: new Set(keys), startSeq, handler };
    if (this.watchers.size === 0) {
      this.cursor = startSeq;
      this.schedule();
    }
    this.watchers.set(watcher.id, watcher);
    return {
      id: watcher.id,
      close: async () => {
        this.watchers.delete(watcher.id);
        if (this.watchers.size === 0) this.stopPolling();
        // A delivery to this watcher may be running; once it settles no more can start.
        await this.polling;
      },
    };
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.polling = this.poll().finally(() => {
        this.polling = undefined;
        if (this.watchers.size > 0 && this.db && !this.timer) this.schedule();
      });
    }, this.pollIntervalMs);
    this.timer.unref();
  }

  private stopPolling(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One pass over the change log. Failures are logged; the next pass tries again. */
  private async poll(): Promise<void> {
    const statements = this.statements;
    if (!statements) return;
    try {
      this.noticeGap(statements);
      for (;;) {
        const changes = statements.changesAfter.all(this.cursor, batchSize);
        // Several changes of one key in a batch would all carry the current row: deliver it once, at its last change.
        const last = new Map(changes.map((change) => [change.key, change.seq]));
        for (const change of changes) {
          this.cursor = change.seq;
          if (last.get(change.key) === change.seq) await this.deliver(statements, change.seq, change.key);
        }
        if (changes.length < batchSize) break;
      }
      this.prune(statements);
    } catch (error) {
      this.logger?.warn(`configuration poll failed: ${errorMessage(error)}`);
    }
  }

  private async deliver(statements: ConfigurationStatements, seq: number, key: string): Promise<void> {
    const watchers = [...this.watchers.values()].filter((watcher) => seq > watcher.startSeq && (watcher.keys.size === 0 || watcher.keys.has(key)));
    if (watchers.length === 0) return;
    let item: ConfigurationItem;
    try {
      // The current row, not the row as of this change: a later change of the key is delivered again anyway.
      const row = statements.getOne.get(key);
      item = row ? toItem(row) : { value: '', version: '', metadata: {} };
    } catch (error) {
      this.logger?.warn(`configuration change of key "${key}" not delivered: ${errorMessage(error)}`);
      return;
    }
    for (const watcher of watchers) {
      if (!this.watchers.has(watcher.id)) continue;
      try {
        await watcher.handler({ id: watcher.id, items: { [key]: item } });
      } catch (error) {
        this.logger?.warn(`configuration update handler of subscription ${watcher.id} failed: ${errorMessage(error)}`);
      }
    }
  }

  /** Warns when pruning removed changes this loop had not seen yet (it was stalled for longer than the retention). */
  private noticeGap(statements: ConfigurationStatements): void {
    const first = statements.firstSeq.get()?.seq ?? null;
    if (first !== null && first > this.cursor + 1) {
      this.logger?.warn(`configuration changes ${this.cursor + 1} to ${first - 1} were pruned before they were read; those updates are lost`);
      this.cursor = first - 1;
    }
  }

  private prune(statements: ConfigurationStatements): void {
    const now = Date.now();
    if (this.readonly || now - this.lastPrune < pruneEveryMs) return;
    this.lastPrune = now;
    statements.pruneBefore.run(now - changeRetentionMs);
  }

  private opened(): ConfigurationStatements {
    if (!this.statements) throw new Error('sqlite configuration store is not initialised');
    return this.statements;
  }
}
