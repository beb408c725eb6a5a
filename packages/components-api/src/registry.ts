import type { BuildingBlock, Component, MetadataField } from './component.js';

/** How a component type is made: one registration per type string (`state.sqlite`). */
export interface ComponentRegistration<T extends Component = Component> {
  /** Full type string, e.g. `state.sqlite`. */
  readonly type: string;
  readonly block: BuildingBlock;
  /** Other type strings Dapr accepts for the same component, e.g. `state.sqlite3`. */
  readonly aliases?: readonly string[];
  /** Versions accepted in `spec.version`; the first is the default. */
  readonly versions: readonly string[];
  readonly description: string;
  readonly metadata: readonly MetadataField[];
  create(): T;
}

/** Raised when a Component names a type or version no registration provides. */
export class UnknownComponentError extends Error {
  constructor(readonly type: string, readonly version: string, known: readonly string[]) {
    super(`unknown component type "${type}" version "${version}"; known types: ${known.join(', ')}`);
    this.name = 'UnknownComponentError';
  }
}

/**
 * A component package imported only when a resource names one of its types: its client libraries
 * (pg, ioredis, amqplib, ...) cost start-up time and memory, and most sidecars use one or two of them.
 */
export interface LazyComponentPackage {
  /** Every type string the package registers, aliases included. */
  readonly types: readonly string[];
  /** Imports the package and registers its components. */
  load(registry: ComponentRegistry): Promise<void>;
}

/** Component factories keyed by type string; the sidecar registers each component module with one call. */
export class ComponentRegistry {
  private readonly byType = new Map<string, ComponentRegistration>();
  private readonly lazyByType = new Map<string, LazyComponentPackage>();
  private readonly loading = new Map<LazyComponentPackage, Promise<void>>();

  register(registration: ComponentRegistration): void {
    for (const type of [registration.type, ...(registration.aliases ?? [])]) {
      // A lazy package registers the types it declared; anything else registered twice is a mistake.
      if (this.byType.has(type) || (this.lazyByType.has(type) && !this.loading.has(this.lazyByType.get(type) as LazyComponentPackage))) {
        throw new Error(`component type ${type} registered twice`);
      }
      this.byType.set(type, registration);
    }
  }

  /** Declares a package's types now and imports the package when one of them is first asked for. */
  registerLazy(lazy: LazyComponentPackage): void {
    for (const type of lazy.types) {
      if (this.byType.has(type) || this.lazyByType.has(type)) throw new Error(`component type ${type} registered twice`);
      this.lazyByType.set(type, lazy);
    }
  }

  /**
   * Finds the registration for a type and version, importing its package first if it is lazy.
   * @throws UnknownComponentError when none matches; the import's error when the package fails to load.
   */
  async load(type: string, version = ''): Promise<ComponentRegistration> {
    const lazy = this.lazyByType.get(type);
    if (lazy) await this.loadPackage(lazy);
    return this.resolve(type, version);
  }

  /** Imports every lazy package, for listings that need all registrations (docs, tests). */
  async loadAll(): Promise<void> {
    await Promise.all([...new Set(this.lazyByType.values())].map((lazy) => this.loadPackage(lazy)));
  }

  private loadPackage(lazy: LazyComponentPackage): Promise<void> {
    let loading = this.loading.get(lazy);
    if (!loading) {
      loading = lazy.load(this).then(() => {
        const missing = lazy.types.filter((type) => !this.byType.has(type));
        if (missing.length > 0) throw new Error(`a lazily loaded component package did not register ${missing.join(', ')}`);
      });
      this.loading.set(lazy, loading);
    }
    return loading;
  }

  /**
   * Finds the registration for a type and version (`v1` when empty); lazy packages must be loaded first (see `load`).
   * @throws UnknownComponentError when none matches.
   */
  resolve(type: string, version = ''): ComponentRegistration {
    const registration = this.byType.get(type);
    const wanted = version === '' ? registration?.versions[0] : version;
    if (!registration || wanted === undefined || !registration.versions.includes(wanted)) {
      throw new UnknownComponentError(type, version, this.types());
    }
    return registration;
  }

  /** Every registration loaded so far once, in type order; for docs and metadata (see `loadAll`). */
  registrations(): ComponentRegistration[] {
    return [...new Set(this.byType.values())].sort((a, b) => a.type.localeCompare(b.type));
  }

  /** Every type string known, loaded or lazy. */
  types(): string[] {
    return [...new Set([...this.byType.keys(), ...this.lazyByType.keys()])].sort();
  }
}
