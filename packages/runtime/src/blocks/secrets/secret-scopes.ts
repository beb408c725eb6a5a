import { ResourceError, type Located } from '../../resources/load-resources.js';
import type { ConfigurationResource } from '../../resources/resource-schemas.js';

/** One store's rules from a Configuration's `spec.secrets.scopes`. */
export interface SecretScope {
  readonly storeName: string;
  readonly defaultAccess: 'allow' | 'deny';
  readonly allowedSecrets: ReadonlySet<string>;
  readonly deniedSecrets: ReadonlySet<string>;
}

/**
 * Which secrets the app may read from each store (Dapr's "secret scoping"). A store without
 * rules allows everything. Within a store's rules, as in daprd: a non-empty `allowedSecrets`
 * allows exactly those names; otherwise a name in `deniedSecrets` is denied; otherwise
 * `defaultAccess` decides (allow when not set).
 */
export class SecretScopes {
  private constructor(private readonly byStore: ReadonlyMap<string, SecretScope>) {}

  /**
   * Reads the scopes of every Configuration, in load order; when two Configurations scope the same
   * store, the later one (the `--config` file is loaded last) wins.
   * @throws ResourceError naming the file and field, for the mistakes daprd refuses at start-up:
   *   a store scoped twice in one Configuration, a `defaultAccess` other than allow/deny, lists that are not string lists.
   */
  static fromConfigurations(configurations: readonly Located<ConfigurationResource>[]): SecretScopes {
    const byStore = new Map<string, SecretScope>();
    for (const configuration of configurations) {
      const seen = new Set<string>();
      const fail = (field: string, detail: string) =>
        new ResourceError(configuration.origin.file, `Configuration "${configuration.metadata.name}"`, field, detail);
      for (const [index, raw] of (configuration.spec.secrets?.scopes ?? []).entries()) {
        const field = `spec.secrets.scopes.${index}`;
        if (seen.has(raw.storeName)) throw fail(`${field}.storeName`, `store "${raw.storeName}" is scoped twice`);
        seen.add(raw.storeName);
        byStore.set(raw.storeName, {
          storeName: raw.storeName,
          defaultAccess: parseDefaultAccess(raw.defaultAccess, () => fail(`${field}.defaultAccess`, `"${String(raw.defaultAccess)}" must be allow or deny`)),
          allowedSecrets: stringSet(raw.allowedSecrets, () => fail(`${field}.allowedSecrets`, 'must be a list of secret names')),
          deniedSecrets: stringSet(raw.deniedSecrets, () => fail(`${field}.deniedSecrets`, 'must be a list of secret names')),
        });
      }
    }
    return new SecretScopes(byStore);
  }

  /** Scopes that allow everything, for tests and sidecars without Configuration. */
  static none(): SecretScopes {
    return new SecretScopes(new Map());
  }

  isAllowed(storeName: string, secretName: string): boolean {
    const scope = this.byStore.get(storeName);
    if (!scope) return true;
    if (scope.allowedSecrets.size > 0) return scope.allowedSecrets.has(secretName);
    if (scope.deniedSecrets.has(secretName)) return false;
    return scope.defaultAccess === 'allow';
  }
}

function parseDefaultAccess(value: unknown, fail: () => Error): 'allow' | 'deny' {
  if (value === undefined || value === null || value === '') return 'allow';
  if (typeof value !== 'string') throw fail();
  // daprd compares case-insensitively.
  const lower = value.toLowerCase();
  if (lower !== 'allow' && lower !== 'deny') throw fail();
  return lower;
}

function stringSet(value: unknown, fail: () => Error): ReadonlySet<string> {
  if (value === undefined || value === null) return new Set();
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw fail();
  return new Set(value);
}
