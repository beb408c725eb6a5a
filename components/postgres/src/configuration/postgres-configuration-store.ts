import { randomUUID } from 'node:crypto';
import {
  metadataValue,
  type ComponentContext, type ConfigurationItem, type ConfigurationItems, type ConfigurationStore,
  type ConfigurationSubscription, type ConfigurationUpdateHandler,
} from '@outrigger/components-api';
import type { Logger } from '@outrigger/kit';
import type pg from 'pg';
import { openPool, reason } from '../pool.js';
import { ChannelListener } from './channel-listener.js';
import { checkChannel, readConfigurationSettings, type ConfigurationSettings } from './configuration-settings.js';
import { metadataObject, parseNotification } from './notification.js';

export { postgresConfigurationMetadata } from './configuration-settings.js';

interface Subscriber {
  readonly id: string;
  readonly keys: ReadonlySet<string>;
  readonly handler: ConfigurationUpdateHandler;
  /** The chain of handler calls: one at a time, in notification order. */
  queue: Promise<void>;
  closed: boolean;
}

interface Channel {
  readonly listener: ChannelListener;
  readonly subscribers: Map<string, Subscriber>;
  /** Settles once the first LISTEN is done; concurrent subscribes to a new channel share it. */
  readonly ready: Promise<void>;
}

interface ItemRow {
  readonly key: string;
  readonly value: string | null;
  readonly version: string | null;
  readonly metadata: string | null;
}

/**
 * `configuration.postgresql` (alias `configuration.postgres`): items are rows of a table you create
 * (key, value, version, metadata json); get reads them, subscriptions LISTEN on the channel your trigger
 * NOTIFYs with `{"action": TG_OP, "data": row}`, as Dapr's documentation shows. One LISTEN connection
 * per channel serves every subscription on it, and is re-established after the server comes back.
 */
export class PostgresConfigurationStore implements ConfigurationStore {
  private pool: pg.Pool | undefined;
  private settings: ConfigurationSettings | undefined;
  private logger: Logger | undefined;
  private readonly channels = new Map<string, Channel>();
  private closed = false;

  async init(context: ComponentContext): Promise<void> {
    const settings = readConfigurationSettings(context.metadata);
    const pool = await openPool(settings, context.logger, `configuration store ${context.name}`);
    if (this.closed) {
      await pool.end().catch(() => undefined);
      return;
    }
    this.pool = pool;
    this.settings = settings;
    this.logger = context.logger;
    const exists = await pool.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [settings.table]).catch(async (error: unknown) => {
      await this.close();
      throw error;
    });
    if (!exists.rows[0]?.exists) {
      await this.close();
      throw new Error(`postgreSQL configuration table '${settings.table}' does not exist`);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const channels = [...this.channels.values()];
    this.channels.clear();
    for (const channel of channels) for (const subscriber of channel.subscribers.values()) subscriber.closed = true;
    await Promise.all(channels.map(async (channel) => {
      await channel.listener.stop();
      await Promise.all([...channel.subscribers.values()].map((subscriber) => subscriber.queue));
    }));
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  /** Several rows may share a key: the one with the highest numeric version wins (non-numeric counts as -1), as in Dapr. */
  async get(keys: readonly string[], _metadata: Readonly<Record<string, string>>): Promise<ConfigurationItems> {
    const { pool, settings } = this.opened();
    const select = `SELECT key::text AS key, value::text AS value, version::text AS version, metadata::text AS metadata FROM ${settings.table}`;
    const result = keys.length === 0
      ? await pool.query<ItemRow>(select)
      : await pool.query<ItemRow>(`${select} WHERE key = ANY($1::text[])`, [keys]);
    const items: Record<string, ConfigurationItem> = {};
    const versions = new Map<string, number>();
    for (const row of result.rows) {
      const version = numericVersion(row.version);
      if (row.key in items && version <= (versions.get(row.key) ?? -1)) continue;
      versions.set(row.key, version);
      items[row.key] = { value: row.value ?? '', version: row.version ?? '', metadata: metadataObject(row.metadata) };
    }
    return items;
  }

  async subscribe(keys: readonly string[], metadata: Readonly<Record<string, string>>, handler: ConfigurationUpdateHandler): Promise<ConfigurationSubscription> {
    const { settings } = this.opened();
    // The component's channel wins; the request's `pgNotifyChannel` is Dapr's older way.
    const channelName = settings.notifyChannel ?? metadataValue(metadata, 'pgNotifyChannel', 'notifyChannel') ?? '';
    if (channelName === '') throw new Error(`unable to subscribe to "${settings.table}": notifyChannel must be set in component metadata or request metadata (pgNotifyChannel)`);
    checkChannel(channelName, (message) => new Error(message));
    const channel = await this.channelFor(channelName);
    const subscriber: Subscriber = { id: randomUUID(), keys: new Set(keys), handler, queue: Promise.resolve(), closed: false };
    channel.subscribers.set(subscriber.id, subscriber);
    return { id: subscriber.id, close: () => this.unsubscribe(channelName, subscriber) };
  }

  private async channelFor(name: string): Promise<Channel> {
    let channel = this.channels.get(name);
    if (!channel) {
      const { settings } = this.opened();
      const subscribers = new Map<string, Subscriber>();
      // A LISTEN session is long-lived and idle: no statement or read timeouts, no pool.
      const { max: _max, idleTimeoutMillis: _idle, statement_timeout: _statement, query_timeout: _query, ...clientConfig } = settings.pool;
      const listener = new ChannelListener(clientConfig, name, this.logger as Logger, (payload) => this.dispatch(subscribers, payload));
      const ready = listener.start().catch((error: unknown) => {
        this.channels.delete(name);
        throw new Error(`cannot LISTEN on channel ${name} at ${settings.target}: ${reason(error)}`, { cause: error });
      });
      channel = { listener, subscribers, ready };
      this.channels.set(name, channel);
    }
    await channel.ready;
    return channel;
  }

  private dispatch(subscribers: ReadonlyMap<string, Subscriber>, payload: string): void {
    const change = parseNotification(payload);
    if (!change) {
      this.logger?.warn(`configuration: ignoring a notification that is not {"data": {...row}}: ${payload.slice(0, 200)}`);
      return;
    }
    for (const subscriber of subscribers.values()) {
      if (subscriber.closed || (subscriber.keys.size > 0 && !subscriber.keys.has(change.key))) continue;
      subscriber.queue = subscriber.queue.then(async () => {
        if (subscriber.closed) return;
        await subscriber.handler({ id: subscriber.id, items: { [change.key]: change.item } });
      }).catch((error: unknown) => this.logger?.warn(`configuration: update handler of subscription ${subscriber.id} failed: ${reason(error)}`));
    }
  }

  private async unsubscribe(channelName: string, subscriber: Subscriber): Promise<void> {
    subscriber.closed = true;
    const channel = this.channels.get(channelName);
    if (channel?.subscribers.get(subscriber.id) === subscriber) {
      channel.subscribers.delete(subscriber.id);
      if (channel.subscribers.size === 0) {
        this.channels.delete(channelName);
        await channel.listener.stop();
      }
    }
    await subscriber.queue;
  }

  private opened(): { pool: pg.Pool; settings: ConfigurationSettings } {
    if (!this.pool || !this.settings) throw new Error('postgresql configuration store is not initialised');
    return { pool: this.pool, settings: this.settings };
  }
}

function numericVersion(version: string | null): number {
  return version !== null && /^[+-]?\d+$/.test(version.trim()) ? Number(version) : -1;
}
