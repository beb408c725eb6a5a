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

/** Component factories keyed by type string; the sidecar registers each component module with one call. */
export class ComponentRegistry {
  private readonly byType = new Map<string, ComponentRegistration>();

  register(registration: ComponentRegistration): void {
    for (const type of [registration.type, ...(registration.aliases ?? [])]) {
      if (this.byType.has(type)) throw new Error(`component type ${type} registered twice`);
      this.byType.set(type, registration);
    }
  }

  /**
   * Finds the registration for a type and version (`v1` when empty).
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

  /** Every registration once, in type order; for docs and metadata. */
  registrations(): ComponentRegistration[] {
    return [...new Set(this.byType.values())].sort((a, b) => a.type.localeCompare(b.type));
  }

  types(): string[] {
    return [...this.byType.keys()].sort();
  }
}
