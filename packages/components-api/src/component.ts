import type { Logger } from '@outrigger/kit';

/** The building blocks a component can belong to; the first part of its type string. */
export type BuildingBlock =
  | 'state' | 'pubsub' | 'bindings' | 'secretstores' | 'configuration' | 'lock'
  | 'nameresolution' | 'middleware.http' | 'crypto' | 'conversation' | 'workflow';

/** What a component gets at init: its resolved metadata (all values as strings, as Dapr passes them) and context. */
export interface ComponentContext {
  /** `metadata.name` of the Component resource. */
  readonly name: string;
  /** Resolved metadata: secretKeyRef and envRef already looked up. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly appId: string;
  readonly namespace: string;
  readonly logger: Logger;
}

/** The life of every component: init once, close once. */
export interface Component {
  init(context: ComponentContext): Promise<void>;
  close(): Promise<void>;
}

/** A metadata field's description, used for validation messages and generated docs. */
export interface MetadataField {
  readonly name: string;
  /** Other names Dapr accepts for the same field (e.g. `url` for `connectionString`); matched case-insensitively. */
  readonly aliases?: readonly string[];
  readonly description: string;
  readonly required?: boolean;
  readonly default?: string;
  /** Allowed shape: free text, an integer, a boolean, a Go duration, or one of a set of values. */
  readonly kind?: 'string' | 'integer' | 'boolean' | 'duration' | { oneOf: readonly string[] };
}
