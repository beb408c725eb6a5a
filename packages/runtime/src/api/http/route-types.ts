import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a route handler gets: the raw request and response, path parameters and the parsed query. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly params: Readonly<Record<string, string | undefined>>;
  readonly query: URLSearchParams;
  /** Largest body a handler may read, from `--max-body-size`. */
  readonly maxBodyBytes: number;
}

export type RouteHandler = (context: RequestContext) => Promise<void>;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD' | 'OPTIONS';

export interface RouteDefinition {
  readonly methods: readonly HttpMethod[];
  /** Path below the version prefix, e.g. `/state/:storeName`. */
  readonly path: string;
  /** API versions the route is served under, e.g. `['v1.0']`. */
  readonly versions: readonly string[];
  readonly handler: RouteHandler;
}
