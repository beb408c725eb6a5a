import { compose, type Logger } from '@outrigger/kit';
import type { LoadedComponent } from '../components/component-host.js';
import { ResourceError, type Located } from '../resources/load-resources.js';
import type { ComponentResource, ConfigurationResource } from '../resources/resource-schemas.js';
import { proceed, type MiddlewareLink, type MiddlewarePipeline } from './http-exchange.js';
import { isHttpMiddleware } from './http-middleware.js';
import { appCallPipeline, type AppCallPipeline } from './app-exchange.js';
import { apiPipeline, type ApiPipeline } from './server-exchange.js';

/** The two pipelines a Configuration may declare. */
export type PipelineKind = 'httpPipeline' | 'appHttpPipeline';

export interface PipelineSources {
  /** Every Configuration loaded, `--config` last (it wins when several declare the same pipeline). */
  readonly configurations: readonly Located<ConfigurationResource>[];
  /** Every Component declared for this sidecar, to tell "not declared" from "failed with ignoreErrors". */
  readonly declared: readonly Located<ComponentResource>[];
  /** The components that initialised. */
  readonly loaded: (name: string) => LoadedComponent | undefined;
  readonly logger: Logger;
}

/**
 * Composes the pipeline of `kind` from the Configuration that declares it, first handler outermost;
 * undefined when none declares handlers, so requests take the path without a pipeline.
 * @throws ResourceError naming the Configuration and the handler: a handler whose component is not
 *   loaded, has another type, or is not HTTP middleware
 */
export function buildPipeline(kind: PipelineKind, sources: PipelineSources): MiddlewarePipeline | undefined {
  const declaring = sources.configurations.filter((configuration) => (configuration.spec[kind]?.handlers.length ?? 0) > 0);
  const configuration = declaring.at(-1);
  if (!configuration) return undefined;
  if (declaring.length > 1) {
    sources.logger.warn(`${kind} is declared by ${declaring.length} Configurations; using "${configuration.metadata.name}" (${configuration.origin.file})`);
  }
  const links: MiddlewareLink[] = [];
  const handlers = configuration.spec[kind]?.handlers ?? [];
  handlers.forEach((handler, index) => {
    const fail = (detail: string) => new ResourceError(configuration.origin.file, `Configuration "${configuration.metadata.name}"`,
      `spec.${kind}.handlers.${index}`, `handler "${handler.name}" (${handler.type}): ${detail}`);
    if (!handler.type.startsWith('middleware.http.')) throw fail('is not an HTTP middleware type (middleware.http.*)');
    const component = sources.loaded(handler.name);
    if (!component) {
      const declared = sources.declared.find((resource) => resource.metadata.name === handler.name);
      if (declared?.spec.ignoreErrors) {
        sources.logger.warn(`${kind}: handler "${handler.name}" left out: its component failed and says ignoreErrors: true`);
        return;
      }
      throw fail(declared ? `component "${handler.name}" is not loaded` : `no component named "${handler.name}" is declared for this app`);
    }
    const type = component.resource.spec.type;
    if (type !== handler.type) throw fail(`component "${handler.name}" has type ${type}, not ${handler.type}`);
    if (!isHttpMiddleware(component.instance)) throw fail(`component "${handler.name}" is not HTTP middleware`);
    links.push(component.instance.link());
  });
  sources.logger.info(`${kind}: ${links.length} handler(s) from Configuration "${configuration.metadata.name}"`);
  return links.length === 0 ? undefined : compose<Parameters<MiddlewarePipeline>[0], void>(links, (exchange) => exchange[proceed]());
}

/** Both pipelines, wrapped for the HTTP API server and the HTTP app channel. */
export interface HttpPipelines {
  readonly api: ApiPipeline | undefined;
  readonly app: AppCallPipeline | undefined;
}

/**
 * Builds `httpPipeline` and `appHttpPipeline` from the loaded components.
 * @throws ResourceError naming the Configuration and the handler
 */
export function buildHttpPipelines(sources: PipelineSources): HttpPipelines {
  const api = buildPipeline('httpPipeline', sources);
  const app = buildPipeline('appHttpPipeline', sources);
  return { api: api && apiPipeline(api), app: app && appCallPipeline(app) };
}
