import { daprError } from '@outrigger/kit';
import { metadataValue } from '@outrigger/components-api';

const separator = '||';

/** Builds and strips the stored-key prefix a state store's `keyPrefix` metadata asks for. */
export interface KeyPrefixer {
  /** The prefix including the separator, or '' for `none`. */
  readonly prefix: string;
  /** @throws DaprError (400) when the key contains `||`. */
  toStored(key: string): string;
  fromStored(storedKey: string): string;
}

/**
 * Dapr's strategies: `appid` (default) → `app||key`, `name` → `store||key`,
 * `namespace` → `ns.app||key`, `none` → `key`, anything else is a custom prefix (lower-cased, as Dapr does).
 */
export function createKeyPrefixer(options: { storeName: string; appId: string; namespace: string; metadata: Readonly<Record<string, string>> }): KeyPrefixer {
  const strategy = (metadataValue(options.metadata, 'keyPrefix') ?? 'appid').toLowerCase();
  let base: string;
  switch (strategy) {
    case 'appid':
      base = options.appId;
      break;
    case 'name':
      base = options.storeName;
      break;
    case 'namespace':
      base = options.namespace === '' ? options.appId : `${options.namespace}.${options.appId}`;
      break;
    case 'none':
      base = '';
      break;
    default:
      base = strategy;
  }
  if (base.includes(separator)) throw daprError('stateKeyInvalid', base);
  const prefix = base === '' ? '' : `${base}${separator}`;
  return {
    prefix,
    toStored(key: string): string {
      if (key.includes(separator)) throw daprError('stateKeyInvalid', key);
      return `${prefix}${key}`;
    },
    fromStored(storedKey: string): string {
      return prefix !== '' && storedKey.startsWith(prefix) ? storedKey.slice(prefix.length) : storedKey;
    },
  };
}
