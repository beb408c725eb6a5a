import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { errorMessage, type Logger } from '@outrigger/kit';
import {
  metadataValue, parseBoolean, SecretNotFoundError,
  type BulkGetSecretRequest, type ComponentContext, type GetSecretRequest, type MetadataField, type SecretData,
  type SecretStore, type SecretStoreFeature,
} from '@outrigger/components-api';

/** Metadata of `secretstores.local.file`, as in Dapr's components-contrib. */
export const localFileSecretStoreMetadata: readonly MetadataField[] = [
  { name: 'secretsFile', required: true, description: 'Path of the JSON file holding the secrets; a relative path is resolved against the sidecar\'s working directory, as daprd does.' },
  { name: 'nestedSeparator', default: ':', description: 'Joins the keys of nested objects (and array indexes) into one secret name, e.g. `db:password`.' },
  { name: 'multiValued', kind: 'boolean', default: 'false', description: 'When true, each top-level key is one secret and a nested object under it becomes that secret\'s key/value pairs.' },
];

type Secret = string | Readonly<Record<string, string>>;

/**
 * Secrets read once, at init, from a local JSON file (`secretstores.local.file`). Meant for local
 * development, as in Dapr. Nested objects and arrays are flattened into names joined with
 * `nestedSeparator` (`{"db": {"password": "x"}}` gives the secret `db:password`).
 */
export class LocalFileSecretStore implements SecretStore {
  private secrets = new Map<string, Secret>();
  private multiValued = false;

  async init(context: ComponentContext): Promise<void> {
    const file = resolve(metadataValue(context.metadata, 'secretsFile') ?? '');
    const separator = metadataValue(context.metadata, 'nestedSeparator') || ':';
    this.multiValued = parseBoolean(metadataValue(context.metadata, 'multiValued')) ?? false;
    let document: unknown;
    try {
      document = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      throw new Error(`cannot read secrets file ${file}: ${errorMessage(error)}`);
    }
    if (!isRecord(document)) throw new Error(`secrets file ${file} must hold a JSON object`);
    this.secrets = this.multiValued ? multiValuedSecrets(document, separator, context.logger) : new Map(Object.entries(flatten(document, separator)));
  }

  async close(): Promise<void> {
    this.secrets.clear();
  }

  features(): readonly SecretStoreFeature[] {
    return this.multiValued ? ['MULTIPLE_KEY_VALUES_PER_SECRET'] : [];
  }

  async getSecret(request: GetSecretRequest): Promise<SecretData> {
    const secret = this.secrets.get(request.name);
    if (secret === undefined) throw new SecretNotFoundError(request.name);
    return asData(request.name, secret);
  }

  async bulkGetSecret(_request: BulkGetSecretRequest): Promise<Record<string, SecretData>> {
    const all: Record<string, SecretData> = {};
    for (const [name, secret] of this.secrets) all[name] = asData(name, secret);
    return all;
  }
}

function asData(name: string, secret: Secret): SecretData {
  return typeof secret === 'string' ? { [name]: secret } : { ...secret };
}

/** multiValued: a top-level string is a one-value secret, a top-level object a secret of several values. */
function multiValuedSecrets(document: Record<string, unknown>, separator: string, logger: Logger): Map<string, Secret> {
  const secrets = new Map<string, Secret>();
  for (const [name, value] of Object.entries(document)) {
    if (typeof value === 'string') secrets.set(name, value);
    else if (isRecord(value)) secrets.set(name, flatten(value, separator));
    // Dapr drops other top-level values in this mode; say so instead of dropping them silently.
    else logger.warn(`secret "${name}" is left out: with multiValued, a top-level value must be a string or an object`);
  }
  return secrets;
}

/**
 * Flattens nested objects and arrays into `a<sep>b<sep>0` names with string values.
 * @throws Error when two paths flatten to the same name (Dapr's result is then undefined).
 */
function flatten(document: Record<string, unknown>, separator: string): Record<string, string> {
  const flat: Record<string, string> = {};
  const visit = (value: unknown, path: readonly string[]): void => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, [...path, String(index)]));
      return;
    }
    if (isRecord(value)) {
      for (const [key, item] of Object.entries(value)) visit(item, [...path, key]);
      return;
    }
    const name = path.join(separator);
    if (Object.hasOwn(flat, name)) throw new Error(`secrets file has the name "${name}" twice once nested keys are joined with "${separator}"`);
    flat[name] = leafText(value);
  };
  for (const [key, value] of Object.entries(document)) visit(value, [key]);
  return flat;
}

/** Strings as they are; numbers and booleans as their JSON text; null as an empty string. */
function leafText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  return String(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
