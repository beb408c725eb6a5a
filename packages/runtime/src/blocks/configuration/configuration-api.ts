import { daprError, errorMessage, type Logger } from '@outrigger/kit';
import type {
  ConfigurationItem, ConfigurationItems, ConfigurationStore, ConfigurationSubscription, ConfigurationUpdate, ConfigurationUpdateHandler,
} from '@outrigger/components-api';
import { wholeBody, type AppChannel } from '../../app-channel/app-channel.js';
import { componentMetricsOf, timed } from '../../observability/metrics-components.js';
import type { ComponentHost } from '../../components/component-host.js';

/** An item as Dapr's JSON shows it: empty value, version and metadata are left out (Go's `omitempty`). */
export type WireItem = { value?: string; version?: string; metadata?: Record<string, string> };

export function toWireItems(items: ConfigurationItems): Record<string, WireItem> {
  const wire: Record<string, WireItem> = {};
  for (const [key, item] of Object.entries(items)) wire[key] = toWireItem(item);
  return wire;
}

function toWireItem(item: ConfigurationItem): WireItem {
  return {
    ...(item.value === '' ? {} : { value: item.value }),
    ...(item.version === '' ? {} : { version: item.version }),
    ...(Object.keys(item.metadata).length === 0 ? {} : { metadata: { ...item.metadata } }),
  };
}

/** Keys as daprd prints a Go string slice in its messages: `[a b]`. */
function goList(keys: readonly string[]): string {
  return `[${keys.join(' ')}]`;
}

interface ActiveSubscription {
  readonly storeName: string;
  readonly subscription: ConfigurationSubscription;
  /** Told when the subscription ends (unsubscribe, shutdown), for a subscriber that holds a stream open. */
  readonly onEnd?: (() => void) | undefined;
}

/**
 * The configuration building block, shared by the HTTP and gRPC APIs: store lookup, get, and
 * subscriptions whose updates are POSTed to the app at `/configuration/{store}/{key}` (a gRPC app gets
 * them through `OnInvoke`, as from daprd), one call per changed key with the whole update as body,
 * as daprd does. A failed delivery is logged, not retried.
 */
export class ConfigurationApi {
  private readonly active = new Map<string, ActiveSubscription>();
  private stopped = false;

  constructor(private readonly host: ComponentHost, private readonly appChannel: AppChannel | undefined, private readonly logger: Logger) {}

  /** @throws DaprError when no configuration store or none of that name is loaded. */
  resolve(storeName: string): ConfigurationStore {
    const stores = this.host.ofBlock('configuration');
    if (stores.length === 0) throw daprError('configurationStoreNotConfigured');
    const component = stores.find((candidate) => candidate.name === storeName);
    if (!component) throw daprError('configurationStoreNotFound', storeName);
    return component.instance as ConfigurationStore;
  }

  async get(storeName: string, keys: readonly string[], metadata: Record<string, string>): Promise<ConfigurationItems> {
    const store = this.resolve(storeName);
    try {
      return await timed(() => store.get(keys, metadata), (success, elapsedMs) => componentMetricsOf(this.host).configuration(storeName, 'get', success, elapsedMs));
    } catch (error) {
      throw daprError('configurationGet', goList(keys), storeName, errorMessage(error));
    }
  }

  /** @returns the subscription id. @throws DaprError without an app channel, or when the store refuses. */
  async subscribe(storeName: string, keys: readonly string[], metadata: Record<string, string>): Promise<string> {
    this.resolve(storeName);
    const channel = this.appChannel;
    if (!channel) throw daprError('configurationAppChannelNil');
    return this.start(storeName, keys, metadata, (update) => this.deliver(channel, storeName, update), undefined);
  }

  /**
   * Subscribes for a caller that takes the updates itself, as the gRPC SubscribeConfiguration stream does,
   * so no app channel is needed. `onEnd` is told when the subscription is ended by id or by shutdown.
   * @returns the subscription id. @throws DaprError when the store refuses or the sidecar is stopping.
   */
  async subscribeWith(storeName: string, keys: readonly string[], metadata: Record<string, string>, onUpdate: ConfigurationUpdateHandler, onEnd: () => void): Promise<string> {
    this.resolve(storeName);
    return this.start(storeName, keys, metadata, onUpdate, onEnd);
  }

  /** Ends a subscription known by its id alone (gRPC UnsubscribeConfiguration). @returns false when no subscription has that id. */
  async unsubscribeById(id: string): Promise<boolean> {
    const entry = this.active.get(id);
    if (!entry) return false;
    await this.unsubscribe(entry.storeName, id);
    return true;
  }

  private async start(storeName: string, keys: readonly string[], metadata: Record<string, string>, handler: ConfigurationUpdateHandler, onEnd: (() => void) | undefined): Promise<string> {
    const store = this.resolve(storeName);
    if (this.stopped) throw daprError('configurationSubscribe', goList(keys), storeName, 'the sidecar is shutting down');
    let subscription: ConfigurationSubscription;
    try {
      subscription = await timed(() => store.subscribe(keys, metadata, handler), (success, elapsedMs) => componentMetricsOf(this.host).configuration(storeName, 'subscribe', success, elapsedMs));
    } catch (error) {
      throw daprError('configurationSubscribe', goList(keys), storeName, errorMessage(error));
    }
    this.active.set(subscription.id, { storeName, subscription, onEnd });
    this.logger.debug(`configuration subscription ${subscription.id} on ${storeName} for ${goList(keys)}`);
    return subscription.id;
  }

  /** @throws DaprError (ERR_CONFIGURATION_UNSUBSCRIBE) when the store has no subscription of that id. */
  async unsubscribe(storeName: string, id: string): Promise<void> {
    this.resolve(storeName);
    const entry = this.active.get(id);
    if (!entry || entry.storeName !== storeName) throw daprError('configurationUnsubscribe', id, `subscription with id ${id} does not exist`);
    this.active.delete(id);
    entry.onEnd?.();
    try {
      await timed(() => entry.subscription.close(), (success, elapsedMs) => componentMetricsOf(this.host).configuration(storeName, 'unsubscribe', success, elapsedMs));
    } catch (error) {
      throw daprError('configurationUnsubscribe', id, errorMessage(error));
    }
  }

  /** Closes every subscription and refuses new ones; for shutdown. */
  async closeAll(): Promise<void> {
    this.stopped = true;
    const entries = [...this.active.values()];
    this.active.clear();
    for (const entry of entries) entry.onEnd?.();
    await Promise.all(entries.map(({ subscription }) => subscription.close().catch((error: unknown) => {
      this.logger.warn(`closing configuration subscription ${subscription.id} failed: ${errorMessage(error)}`);
    })));
  }

  private async deliver(channel: AppChannel, storeName: string, update: ConfigurationUpdate): Promise<void> {
    const body = JSON.stringify({ id: update.id, items: toWireItems(update.items) });
    for (const key of Object.keys(update.items)) {
      // Path segments escaped, `/` kept, as Go's URL encoding of daprd's method path does.
      const path = `/configuration/${encodeURIComponent(storeName)}/${key.split('/').map(encodeURIComponent).join('/')}`;
      try {
        const response = await channel.invokeMethod({ verb: 'POST', path, query: undefined, headers: { 'content-type': 'application/json' }, body });
        await wholeBody(response.body);
        if (response.status !== 200) this.logger.error(`error sending configuration item to the app: status ${response.status} from ${path}`);
      } catch (error) {
        this.logger.error(`error sending configuration item to the app: ${errorMessage(error)}`);
      }
    }
  }
}
