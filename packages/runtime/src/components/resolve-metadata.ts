import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { MetadataItem } from '../resources/resource-schemas.js';

/** Looks up one secret for a `secretKeyRef`; provided by the secrets building block. */
export type SecretLookup = (store: string, name: string, key: string | undefined) => Promise<string>;

export interface MetadataContext {
  readonly appId: string;
  readonly namespace: string;
  readonly env: NodeJS.ProcessEnv;
  readonly secretStore: string | undefined;
  readonly lookupSecret: SecretLookup | undefined;
}

/** Raised when one metadata item cannot be resolved; names the item. */
export class MetadataResolutionError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'MetadataResolutionError';
  }
}

/**
 * Turns a Component's metadata list into the string map components receive: plain values
 * stringified as Dapr does, `envRef` read from the environment, `secretKeyRef` looked up,
 * and Dapr's template tags ({uuid}, {appID}, {namespace}, {podName}) filled in.
 */
export async function resolveMetadata(items: readonly MetadataItem[] | null | undefined, context: MetadataContext): Promise<Record<string, string>> {
  const resolved: Record<string, string> = {};
  for (const item of items ?? []) {
    resolved[item.name] = fillTemplate(await resolveItem(item, context), context);
  }
  return resolved;
}

async function resolveItem(item: MetadataItem, context: MetadataContext): Promise<string> {
  if (item.secretKeyRef) {
    if (!context.lookupSecret || !context.secretStore) {
      throw new MetadataResolutionError(item.name, `uses secretKeyRef "${item.secretKeyRef.name}" but no secret store is available (set auth.secretStore to a loaded secret store)`);
    }
    const { name, key } = item.secretKeyRef;
    try {
      return await context.lookupSecret(context.secretStore, name, key);
    } catch (error) {
      // Re-raised with the item's name, so the init error names the field whose secret is missing.
      throw new MetadataResolutionError(item.name, `secretKeyRef "${name}"${key ? ` key "${key}"` : ''}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (item.envRef !== undefined) {
    const value = context.env[item.envRef];
    if (value === undefined) throw new MetadataResolutionError(item.name, `envRef names environment variable ${item.envRef}, which is not set`);
    return value;
  }
  const value = item.value;
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function fillTemplate(value: string, context: MetadataContext): string {
  if (!value.includes('{')) return value;
  return value
    .replaceAll('{uuid}', randomUUID())
    .replaceAll('{appID}', context.appId)
    .replaceAll('{namespace}', context.namespace)
    .replaceAll('{podName}', context.env.POD_NAME ?? hostname());
}
