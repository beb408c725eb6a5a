import type { ConfigurationResource } from '../resources/resource-schemas.js';

/** API logging settings from `--enable-api-logging` and the Configuration's `spec.logging.apiLogging`. */
export interface ApiLoggingSettings {
  readonly enabled: boolean;
  /** Log the endpoint's name (`GetState`) instead of the request path, which may hold keys or other data. */
  readonly obfuscateURLs: boolean;
  /** Leave `/v1.0/healthz` and `/v1.0/healthz/outbound` out of the API log. */
  readonly omitHealthChecks: boolean;
}

/**
 * As in daprd: the flag, when given (true or false), decides whether API calls are logged; without it,
 * `apiLogging.enabled` does. `obfuscateURLs` and `omitHealthChecks` come from the Configuration only.
 * Several Configurations merge in load order, later fields winning.
 */
export function apiLoggingSettings(flag: boolean | undefined, configurations: readonly ConfigurationResource[]): ApiLoggingSettings {
  let enabled = false;
  let obfuscateURLs = false;
  let omitHealthChecks = false;
  for (const configuration of configurations) {
    const spec = configuration.spec.logging?.apiLogging;
    if (!spec) continue;
    enabled = spec.enabled ?? enabled;
    obfuscateURLs = spec.obfuscateURLs ?? obfuscateURLs;
    omitHealthChecks = spec.omitHealthChecks ?? omitHealthChecks;
  }
  return { enabled: flag ?? enabled, obfuscateURLs, omitHealthChecks };
}
