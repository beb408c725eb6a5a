import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type {
  ComponentResource, ConfigurationResource, HttpEndpointResource, ResiliencyResource, SubscriptionResource,
} from './resource-schemas.js';

/** Where a resource came from, for error messages. */
export interface Origin {
  readonly file: string;
}

export type Located<T> = T & { readonly origin: Origin };

export interface LoadedResources {
  readonly components: Located<ComponentResource>[];
  readonly subscriptions: Located<SubscriptionResource>[];
  readonly resiliencies: Located<ResiliencyResource>[];
  readonly httpEndpoints: Located<HttpEndpointResource>[];
  readonly configurations: Located<ConfigurationResource>[];
  /** Documents skipped on purpose (other kinds, other namespaces, out of scope), for the log. */
  readonly skipped: string[];
}

/** A resource file that cannot be used; names the file, the resource and the field. */
export class ResourceError extends Error {
  constructor(readonly file: string, readonly resource: string, readonly field: string, detail: string) {
    super(`${file}: ${resource}: ${field === '' ? '' : `field "${field}": `}${detail}`);
    this.name = 'ResourceError';
  }
}

export interface LoadContext {
  readonly appId: string;
  readonly namespace: string;
}

/**
 * Reads every `.yaml`/`.yml` file directly inside each folder (or the file itself when a path is a file),
 * with several documents a file, and validates each Dapr resource. The YAML parser and the schemas (yaml
 * and zod, about 170 modules) are imported only when there is a file to read.
 * @throws ResourceError for the first invalid document.
 */
export async function loadResources(paths: readonly string[], context: LoadContext): Promise<LoadedResources> {
  const loaded: LoadedResources = { components: [], subscriptions: [], resiliencies: [], httpEndpoints: [], configurations: [], skipped: [] };
  const files = resourceFiles(paths);
  if (files.length === 0) return loaded;
  const { addFileResources } = await import('./parse-resources.js');
  for (const file of files) addFileResources(loaded, file, context);
  return loaded;
}

/** Reads one Configuration file, as given by `--config`. @throws ResourceError */
export async function loadConfigurationFile(file: string): Promise<Located<ConfigurationResource>> {
  const { readConfigurationFile } = await import('./parse-resources.js');
  return readConfigurationFile(file);
}

function resourceFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    const absolute = resolve(path);
    let stats;
    try {
      stats = statSync(absolute);
    } catch {
      throw new ResourceError(absolute, 'resources path', '', 'does not exist');
    }
    if (stats.isFile()) {
      files.push(absolute);
      continue;
    }
    for (const name of readdirSync(absolute).sort()) {
      if (/\.ya?ml$/i.test(name) && statSync(join(absolute, name)).isFile()) files.push(join(absolute, name));
    }
  }
  return files;
}
