import {
  metadataValue,
  type BulkGetSecretRequest, type ComponentContext, type GetSecretRequest, type MetadataField, type SecretData,
  type SecretStore, type SecretStoreFeature,
} from '@outrigger/components-api';
import type { Logger } from '@outrigger/kit';

/** Metadata of `secretstores.local.env`, as in Dapr's components-contrib. */
export const localEnvSecretStoreMetadata: readonly MetadataField[] = [
  {
    name: 'prefix',
    description: 'When set, only variables whose name starts with it are secrets, and the prefix is left out of the secret names. Case-sensitive, except on Windows.',
  },
];

const windows = process.platform === 'win32';

/**
 * The sidecar's environment variables as secrets (`secretstores.local.env`), read at each request.
 * As in Dapr, `APP_API_TOKEN` and every `DAPR_*` variable are never handed out, and a variable
 * that is not set reads as an empty string rather than an error.
 */
export class LocalEnvSecretStore implements SecretStore {
  private prefix = '';
  private logger: Logger | undefined;

  /** @param env the environment to read; the process's own by default (tests pass their own). */
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  async init(context: ComponentContext): Promise<void> {
    this.prefix = metadataValue(context.metadata, 'prefix') ?? '';
    this.logger = context.logger;
  }

  async close(): Promise<void> {}

  features(): readonly SecretStoreFeature[] {
    return [];
  }

  async getSecret(request: GetSecretRequest): Promise<SecretData> {
    const variable = this.prefix + request.name;
    if (!isAllowed(variable)) {
      this.logger?.warn(`access to environment variable ${request.name} is forbidden`);
      return { [request.name]: '' };
    }
    return { [request.name]: this.env[variable] ?? '' };
  }

  async bulkGetSecret(_request: BulkGetSecretRequest): Promise<Record<string, SecretData>> {
    const all: Record<string, SecretData> = {};
    for (const [variable, value] of Object.entries(this.env)) {
      if (value === undefined || !isAllowed(variable)) continue;
      if (this.prefix !== '' && (variable.length <= this.prefix.length || !startsWithPrefix(variable, this.prefix))) continue;
      const name = variable.slice(this.prefix.length);
      all[name] = { [name]: value };
    }
    return all;
  }
}

/** Matches Dapr: case-insensitive on Windows (where variable names are), case-sensitive elsewhere. */
function startsWithPrefix(variable: string, prefix: string): boolean {
  return windows ? variable.toUpperCase().startsWith(prefix.toUpperCase()) : variable.startsWith(prefix);
}

/** The sidecar's own credentials are not secrets for the app to read. */
function isAllowed(variable: string): boolean {
  const upper = variable.toUpperCase();
  return upper !== 'APP_API_TOKEN' && !upper.startsWith('DAPR_');
}
