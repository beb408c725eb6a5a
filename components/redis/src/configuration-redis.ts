import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type {
  ComponentContext, ConfigurationItem, ConfigurationItems, ConfigurationStore, ConfigurationSubscription,
  ConfigurationUpdateHandler, MetadataField,
} from '@outrigger/components-api';
import { errorMessage, type Logger } from '@outrigger/kit';
import { closeRedis, connectRedis } from './connection.js';
import { parseConnectionSettings, redisConnectionMetadata, type RedisConnectionSettings } from './settings.js';

/** `configuration.redis` metadata: the connection fields only. */
export const redisConfigurationMetadata: readonly MetadataField[] = redisConnectionMetadata;

/** Keyspace event classes subscriptions need: K keyspace channel, g generic (del, expire), $ strings, x expired, e evicted. */
const NEEDED_EVENTS = ['K', 'g', '$', 'x', 'e'];

interface Watcher {
  readonly id: string;
  /** Empty: every key (through the pattern channel). */
  readonly keys: ReadonlySet<string>;
  readonly handler: ConfigurationUpdateHandler;
  /** Changes are handled one at a time, in the order Redis announced them. */
  queue: Promise<void>;
  closed: boolean;
}

/**
 * Dapr's item format: the string value `value||version`; no `||` means no version. As in Dapr, only the
 * first two parts count, and an empty value counts as no item.
 */
export function parseConfigurationValue(raw: string): { value: string; version: string } {
  const [value = '', version = ''] = raw.split('||');
  return { value, version };
}

/**
 * `configuration.redis`: Dapr's Redis configuration store. Items are plain string keys (`value||version`);
 * item metadata is always empty. Subscriptions listen to keyspace notifications
 * (`__keyspace@<db>__:<key>`) on a connection of their own and, for each change, read the key again and
 * deliver its current value (an empty item once it is gone). Notifications must be enabled on the server;
 * the store turns on the classes it needs (`Kg$xe`, added to what is configured) at the first subscribe
 * and again after every reconnection (a restarted server forgets CONFIG SET), and logs a warning when
 * CONFIG SET is not allowed. Changes made while the store is disconnected are not
 * announced by Redis, so they are not delivered.
 */
export class RedisConfigurationStore implements ConfigurationStore {
  private main: Redis | undefined;
  private subscriber: Promise<Redis> | undefined;
  private settings: RedisConnectionSettings | undefined;
  private logger: Logger | undefined;
  private readonly watchers = new Map<string, Watcher>();
  private readonly channelUsers = new Map<string, number>();
  private readonly closing = new AbortController();

  async init(context: ComponentContext): Promise<void> {
    this.settings = parseConnectionSettings(context.metadata, redisConfigurationMetadata, 'configuration');
    this.logger = context.logger;
    this.main = await connectRedis(this.settings, { purpose: 'redis configuration store', logger: context.logger, signal: this.closing.signal });
  }

  async get(keys: readonly string[], _metadata: Readonly<Record<string, string>>): Promise<ConfigurationItems> {
    const main = this.opened();
    const wanted = keys.length > 0 ? [...keys] : await this.allKeys(main);
    const items: Record<string, ConfigurationItem> = {};
    const replies = wanted.length === 0 ? [] : await main.pipeline(wanted.map((key) => ['get', key])).exec() ?? [];
    for (const [index, [error, raw]] of replies.entries()) {
      const key = wanted[index] as string;
      if (error) {
        // A key of another type (a hash of a state store in the same database) is no configuration item.
        if (/WRONGTYPE/.test(error.message)) continue;
        throw new Error(`fail to get configuration for redis key=${key}, error is ${error.message}`);
      }
      if (typeof raw !== 'string') continue;
      const { value, version } = parseConfigurationValue(raw);
      if (value !== '') items[key] = { value, version, metadata: {} };
    }
    return items;
  }

  async subscribe(keys: readonly string[], _metadata: Readonly<Record<string, string>>, handler: ConfigurationUpdateHandler): Promise<ConfigurationSubscription> {
    this.opened();
    const subscriber = await this.subscriberConnection();
    const watcher: Watcher = { id: randomUUID(), keys: new Set(keys), handler, queue: Promise.resolve(), closed: false };
    this.watchers.set(watcher.id, watcher);
    try {
      for (const channel of this.channelsOf(watcher)) {
        const users = this.channelUsers.get(channel) ?? 0;
        if (users === 0) {
          if (watcher.keys.size === 0) await subscriber.psubscribe(channel);
          else await subscriber.subscribe(channel);
        }
        this.channelUsers.set(channel, users + 1);
      }
    } catch (error) {
      await this.release(watcher);
      throw error;
    }
    return { id: watcher.id, close: () => this.release(watcher) };
  }

  async close(): Promise<void> {
    this.closing.abort();
    await Promise.allSettled([...this.watchers.values()].map((watcher) => this.release(watcher)));
    const subscriber = await this.subscriber?.catch(() => undefined);
    this.subscriber = undefined;
    const main = this.main;
    this.main = undefined;
    await Promise.all([closeRedis(subscriber), closeRedis(main)]);
  }

  private channelsOf(watcher: Watcher): string[] {
    const prefix = `__keyspace@${this.settings?.db ?? 0}__:`;
    return watcher.keys.size === 0 ? [`${prefix}*`] : [...watcher.keys].map((key) => `${prefix}${key}`);
  }

  /** Stops a watcher: no change starts after this, and it resolves once the running one (if any) is done. */
  private async release(watcher: Watcher): Promise<void> {
    if (!watcher.closed) {
      watcher.closed = true;
      this.watchers.delete(watcher.id);
      const subscriber = await this.subscriber?.catch(() => undefined);
      for (const channel of this.channelsOf(watcher)) {
        const users = (this.channelUsers.get(channel) ?? 0) - 1;
        if (users > 0) {
          this.channelUsers.set(channel, users);
          continue;
        }
        this.channelUsers.delete(channel);
        if (watcher.keys.size === 0) await subscriber?.punsubscribe(channel).catch(() => undefined);
        else await subscriber?.unsubscribe(channel).catch(() => undefined);
      }
    }
    await watcher.queue;
  }

  private subscriberConnection(): Promise<Redis> {
    this.subscriber ??= (async () => {
      const settings = this.settings as RedisConnectionSettings;
      const logger = this.logger as Logger;
      await this.enableKeyspaceEvents();
      // CONFIG SET does not survive a server restart: set the flags again whenever the connection comes back.
      this.opened().on('ready', () => void this.enableKeyspaceEvents());
      const subscriber = await connectRedis(settings, { purpose: 'redis configuration subscriber', logger, signal: this.closing.signal });
      const prefix = `__keyspace@${settings.db}__:`;
      subscriber.on('message', (channel: string) => this.announce(channel.slice(prefix.length), false));
      subscriber.on('pmessage', (_pattern: string, channel: string) => this.announce(channel.slice(prefix.length), true));
      return subscriber;
    })();
    this.subscriber.catch(() => {
      this.subscriber = undefined;
    });
    return this.subscriber;
  }

  /** Queues a change of `key` for the watchers that asked for it. */
  private announce(key: string, fromPattern: boolean): void {
    for (const watcher of this.watchers.values()) {
      const wants = fromPattern ? watcher.keys.size === 0 : watcher.keys.has(key);
      if (!wants || watcher.closed) continue;
      watcher.queue = watcher.queue.then(() => this.deliver(watcher, key));
    }
  }

  private async deliver(watcher: Watcher, key: string): Promise<void> {
    if (watcher.closed) return;
    try {
      const items = await this.get([key], {});
      const update = Object.keys(items).length > 0 ? items : { [key]: { value: '', version: '', metadata: {} } };
      if (!watcher.closed) await watcher.handler({ id: watcher.id, items: update });
    } catch (error) {
      this.logger?.error(`fail to notify configuration update subscription ${watcher.id} of key ${key}: ${errorMessage(error)}`);
    }
  }

  /** Adds the notification classes subscriptions need to the server's setting; warns when it may not be changed. */
  private async enableKeyspaceEvents(): Promise<void> {
    const main = this.opened();
    try {
      const [, current = ''] = await main.config('GET', 'notify-keyspace-events') as [string, string];
      const has = (flag: string): boolean => current.includes(flag) || ('g$xe'.includes(flag) && current.includes('A'));
      const missing = NEEDED_EVENTS.filter((flag) => !has(flag));
      if (missing.length > 0) await main.config('SET', 'notify-keyspace-events', current + missing.join(''));
    } catch (error) {
      this.logger?.warn(`redis configuration store: could not enable keyspace notifications (${errorMessage(error)}); subscriptions need notify-keyspace-events to include Kg$xe`);
    }
  }

  private async allKeys(main: Redis): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await main.scan(cursor, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return [...new Set(keys)];
  }

  private opened(): Redis {
    if (!this.main) throw new Error('redis configuration store is not initialised');
    return this.main;
  }
}
