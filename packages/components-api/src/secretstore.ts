import type { Component } from './component.js';

/** Capability names as Dapr reports them in the metadata API. */
export type SecretStoreFeature = 'MULTIPLE_KEY_VALUES_PER_SECRET';

/** One secret: its keys and values. A single-valued store answers `{ <name>: <value> }`. */
export type SecretData = Readonly<Record<string, string>>;

export interface GetSecretRequest {
  /** The secret's name, as the app asked for it (`/v1.0/secrets/{store}/{name}`). */
  readonly name: string;
  /** Request metadata (`?metadata.k=v`); stores read what they understand and ignore the rest. */
  readonly metadata?: Readonly<Record<string, string>> | undefined;
}

export interface BulkGetSecretRequest {
  readonly metadata?: Readonly<Record<string, string>> | undefined;
}

/**
 * The required contract of every secret store. Stores are read-only to Dapr: there is no write API.
 * Errors thrown here reach the app as 500 `ERR_SECRET_GET` with the error's message.
 */
export interface SecretStore extends Component {
  features(): readonly SecretStoreFeature[];
  /**
   * Reads one secret.
   * @returns its key/value pairs, or undefined when the store reports "no data" without an error
   *   (the HTTP API answers 204 then).
   * @throws when the secret does not exist in stores that treat that as an error (as `local.file` does).
   */
  getSecret(request: GetSecretRequest): Promise<SecretData | undefined>;
  /** Reads every secret the store can list, keyed by secret name. */
  bulkGetSecret(request: BulkGetSecretRequest): Promise<Readonly<Record<string, SecretData>>>;
}

/** Raised by stores for a secret that does not exist; the message is what the app sees after Dapr's prefix. */
export class SecretNotFoundError extends Error {
  constructor(readonly secretName: string) {
    super(`secret ${secretName} not found`);
    this.name = 'SecretNotFoundError';
  }
}
