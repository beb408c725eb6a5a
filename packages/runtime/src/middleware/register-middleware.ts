import type { ComponentRegistry } from '@outrigger/components-api';
import { rateLimitMiddleware } from './ratelimit.js';
import { routerCheckerMiddleware } from './routerchecker.js';
import { upperCaseMiddleware } from './uppercase.js';

/** The `middleware.http.*` component types the sidecar ships; pipelines in a Configuration name them. */
export function registerHttpMiddleware(registry: ComponentRegistry): void {
  registry.register(rateLimitMiddleware);
  registry.register(routerCheckerMiddleware);
  registry.register(upperCaseMiddleware);
  // The bearer middleware brings jose (JWT, JWKS): imported only when a Configuration uses it.
  registry.registerLazy({
    types: ['middleware.http.bearer'],
    load: async (lazyRegistry) => lazyRegistry.register((await import('./bearer.js')).bearerMiddleware),
  });
}
