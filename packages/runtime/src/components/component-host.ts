import { errorMessage, parseDuration, type Logger } from '@outrigger/kit';
import {
  MetadataError, validateMetadata, type Component, type ComponentRegistration, type ComponentRegistry,
} from '@outrigger/components-api';
import type { ComponentResource } from '../resources/resource-schemas.js';
import type { Located } from '../resources/load-resources.js';
import { MetadataResolutionError, resolveMetadata, type SecretLookup } from './resolve-metadata.js';
import { orderBySecretStore, readSecretReference } from './secret-references.js';

/** A component that initialised, with where it came from. */
export interface LoadedComponent<T extends Component = Component> {
  readonly name: string;
  readonly instance: T;
  readonly registration: ComponentRegistration;
  readonly resource: Located<ComponentResource>;
  /** Resolved metadata, kept for block-level settings such as `keyPrefix`. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** A component that could not be loaded; names the file, the component and the field. */
export class ComponentInitError extends Error {
  constructor(readonly file: string, readonly component: string, readonly field: string, detail: string) {
    super(`${file}: component "${component}": ${field === '' ? '' : `field "${field}": `}${detail}`);
    this.name = 'ComponentInitError';
  }
}

export interface ComponentHostOptions {
  readonly registry: ComponentRegistry;
  readonly logger: Logger;
  readonly appId: string;
  readonly namespace: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Resolves `secretKeyRef`; by default, reads the secret stores this host has loaded so far. */
  readonly lookupSecret?: SecretLookup;
}

const defaultInitTimeoutMs = 5_000;

/** Creates, initialises and closes the components of one sidecar. */
export class ComponentHost {
  private readonly loaded = new Map<string, LoadedComponent>();

  constructor(private readonly options: ComponentHostOptions) {}

  /**
   * Initialises every component in order, each secret store before the components whose
   * `auth.secretStore` names it. A failure stops start-up unless the component says
   * `ignoreErrors: true`, in which case it is logged and left out.
   * @throws ComponentInitError
   */
  async initAll(resources: readonly Located<ComponentResource>[]): Promise<void> {
    for (const resource of orderBySecretStore(resources)) {
      try {
        const component = await this.initOne(resource);
        this.loaded.set(component.name, component);
        this.options.logger.info(`component loaded: ${component.name} (${resource.spec.type}/${resource.spec.version})`);
      } catch (error) {
        const failure = error instanceof ComponentInitError ? error
          : new ComponentInitError(resource.origin.file, resource.metadata.name, '', errorMessage(error));
        if (!resource.spec.ignoreErrors) throw failure;
        this.options.logger.warn(`component ignored after error (ignoreErrors: true): ${failure.message}`);
      }
    }
  }

  /** Resolves a `secretKeyRef` against the secret stores loaded so far (other resources than components use it too). */
  readonly lookupSecret: SecretLookup = (store, secret, key) => this.options.lookupSecret?.(store, secret, key)
    ?? readSecretReference(this.loaded, store, secret, key, this.options.namespace);

  get(name: string): LoadedComponent | undefined {
    return this.loaded.get(name);
  }

  all(): LoadedComponent[] {
    return [...this.loaded.values()];
  }

  /** Replaces each loaded component's instance by what `wrap` gives (resiliency policies around its calls). */
  wrapInstances(wrap: (component: LoadedComponent) => Component): void {
    for (const [name, component] of this.loaded) this.loaded.set(name, { ...component, instance: wrap(component) });
  }

  ofBlock(block: string): LoadedComponent[] {
    return this.all().filter((component) => component.registration.block === block);
  }

  async closeAll(): Promise<void> {
    const closing = this.all().map(async (component) => {
      try {
        await component.instance.close();
      } catch (error) {
        this.options.logger.warn(`closing component ${component.name} failed: ${errorMessage(error)}`);
      }
    });
    await Promise.all(closing);
    this.loaded.clear();
  }

  private async initOne(resource: Located<ComponentResource>): Promise<LoadedComponent> {
    const { file } = resource.origin;
    const name = resource.metadata.name;
    const fail = (field: string, detail: string) => new ComponentInitError(file, name, field, detail);
    if (this.loaded.has(name)) throw fail('metadata.name', `a component named "${name}" is already loaded`);
    let registration: ComponentRegistration;
    try {
      registration = await this.options.registry.load(resource.spec.type, resource.spec.version);
    } catch (error) {
      throw fail('spec.type', errorMessage(error));
    }
    let metadata: Record<string, string>;
    try {
      metadata = await resolveMetadata(resource.spec.metadata, {
        appId: this.options.appId,
        namespace: this.options.namespace,
        env: this.options.env ?? process.env,
        secretStore: resource.auth?.secretStore,
        lookupSecret: this.lookupSecret,
      });
      validateMetadata(registration.metadata, metadata);
    } catch (error) {
      if (error instanceof MetadataError || error instanceof MetadataResolutionError) throw fail(`spec.metadata.${error.field}`, error.message);
      throw error;
    }
    const timeoutMs = initTimeoutMs(resource, fail);
    const instance = registration.create();
    const logger = this.options.logger.child({ component: name });
    await withTimeout(instance.init({ name, metadata, appId: this.options.appId, namespace: this.options.namespace, logger }), timeoutMs,
      () => fail('spec.initTimeout', `init did not finish within ${timeoutMs} ms`)).catch(async (error: unknown) => {
      await instance.close().catch(() => undefined);
      throw error instanceof ComponentInitError ? error : fail('', `init failed: ${errorMessage(error)}`);
    });
    return { name, instance, registration, resource, metadata };
  }
}

function initTimeoutMs(resource: ComponentResource, fail: (field: string, detail: string) => Error): number {
  if (!resource.spec.initTimeout) return defaultInitTimeoutMs;
  try {
    return parseDuration(resource.spec.initTimeout);
  } catch (error) {
    throw fail('spec.initTimeout', errorMessage(error));
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
