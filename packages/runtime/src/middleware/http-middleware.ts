import type { Component, ComponentContext, ComponentRegistration, MetadataField } from '@outrigger/components-api';
import type { MiddlewareLink } from './http-exchange.js';

/**
 * A `middleware.http.*` component: loaded like every other component (metadata resolution,
 * secretKeyRef, validation, listed in the metadata API), then asked for its link when a
 * Configuration's pipeline names it.
 */
export interface HttpMiddleware extends Component {
  /** The middleware's link; valid once `init` has resolved. */
  link(): MiddlewareLink;
}

export function isHttpMiddleware(component: Component): component is HttpMiddleware {
  return typeof (component as Partial<HttpMiddleware>).link === 'function';
}

/**
 * A middleware type whose link is made from its metadata at init (`create`), possibly after some
 * I/O (the bearer middleware fetches its JWKS).
 */
export function middlewareRegistration(options: {
  readonly name: string;
  readonly description: string;
  readonly metadata: readonly MetadataField[];
  readonly create: (context: ComponentContext) => Promise<MiddlewareLink> | MiddlewareLink;
}): ComponentRegistration<HttpMiddleware> {
  return {
    type: `middleware.http.${options.name}`,
    block: 'middleware.http',
    versions: ['v1'],
    description: options.description,
    metadata: options.metadata,
    create: () => new LinkComponent(options.create),
  };
}

class LinkComponent implements HttpMiddleware {
  private made: MiddlewareLink | undefined;

  constructor(private readonly make: (context: ComponentContext) => Promise<MiddlewareLink> | MiddlewareLink) {}

  async init(context: ComponentContext): Promise<void> {
    this.made = await this.make(context);
  }

  link(): MiddlewareLink {
    if (!this.made) throw new Error('middleware used before init');
    return this.made;
  }

  /** Nothing to release: links hold no connections (the bearer's JWKS is fetched per need). */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
