import type { Component } from './component.js';

/** One configuration item as Dapr's API shows it; empty fields are left out on the wire. */
export interface ConfigurationItem {
  readonly value: string;
  readonly version: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** Items by key. */
export type ConfigurationItems = Readonly<Record<string, ConfigurationItem>>;

/**
 * One change notification (Dapr's `UpdateEvent`). A deleted key comes as an item with empty
 * value, version and metadata, as Dapr's Redis store sends it.
 */
export interface ConfigurationUpdate {
  /** The subscription's id. */
  readonly id: string;
  readonly items: ConfigurationItems;
}

/** Called for each change, one at a time in change order; a rejection is logged by the component, not retried. */
export type ConfigurationUpdateHandler = (update: ConfigurationUpdate) => Promise<void>;

/** A live subscription. */
export interface ConfigurationSubscription {
  readonly id: string;
  /** Stops delivering; resolves once no handler call is running. Safe to call twice. */
  close(): Promise<void>;
}

/** The contract of every configuration store (Dapr's `configuration.Store`). */
export interface ConfigurationStore extends Component {
  /**
   * Reads items. No keys: every item. Keys that do not exist are left out of the answer.
   * @throws when the store cannot answer.
   */
  get(keys: readonly string[], metadata: Readonly<Record<string, string>>): Promise<ConfigurationItems>;
  /**
   * Starts delivering changes of `keys` (no keys: of every key) made after this call, by any writer.
   * Current values are not delivered. @throws when the store cannot subscribe.
   */
  subscribe(keys: readonly string[], metadata: Readonly<Record<string, string>>, handler: ConfigurationUpdateHandler): Promise<ConfigurationSubscription>;
}
