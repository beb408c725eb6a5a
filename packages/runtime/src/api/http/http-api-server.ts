import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { CountedResponse } from './counted-response.js';
import type { AddressInfo } from 'node:net';
import FindMyWay from 'find-my-way';
import { errorMessage, isDaprError, pathOf, queryOf, type Logger } from '@outrigger/kit';
import { sendError } from './http-io.js';
import type { RequestContext, RouteDefinition } from './route-types.js';
import type { ApiPipeline } from '../../middleware/server-exchange.js';
import type { HttpRequestObserver } from '../../observability/metrics-http-exchange.js';

export interface HttpApiServerOptions {
  readonly routes: readonly RouteDefinition[];
  /** Handles every request no route matches: daprd treats those as service invocation. */
  readonly fallback: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  readonly apiToken: string | undefined;
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  /** Metrics and API logs: called as each request arrives; what it returns is called with the route template once the response is finished. */
  readonly observe?: HttpRequestObserver | undefined;
  /** Starts the call's trace span (when tracing is on); the returned function ends it with the status and route template. */
  readonly traceCall?: ((req: IncomingMessage, res: ServerResponse) => ((status: number, template: string) => void) | undefined) | undefined;
  /** The Configuration's `httpPipeline`, run around routing; absent when none is declared (no cost then). */
  readonly pipeline?: ApiPipeline | undefined;
}

/** The path label of requests no route matched: daprd's fallback is service invocation. */
const invocationPath = '/v1.0/invoke/{id}/method/{method}';

/** Paths that answer without the API token, as in daprd. */
const tokenExempt = new Set(['/v1.0/healthz', '/v1.0/healthz/outbound']);

/**
 * The Dapr HTTP API server: routing, the API token, error bodies and request counting.
 * Handlers only decode, call the building block and encode.
 */
export class HttpApiServer {
  private readonly router = FindMyWay({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, caseSensitive: true });
  private readonly servers: Server[] = [];
  private active = 0;

  constructor(private readonly options: HttpApiServerOptions) {
    for (const route of options.routes) {
      for (const version of route.versions) {
        const template = `/${version}${route.path}`.replace(/:([A-Za-z]+)/g, '{$1}');
        this.router.on(route.methods as FindMyWay.HTTPMethod[], `/${version}${route.path}`, (req, res, params) => route.handler(new RouteRequest(req, res, params, options.maxBodyBytes)), { template });
      }
    }
  }

  /** Requests being handled now; shutdown waits for them. */
  get inFlight(): number {
    return this.active;
  }

  /** Listens on each address (all interfaces when none) and resolves with the bound port. */
  async listen(port: number, addresses: readonly string[]): Promise<number> {
    const hosts = addresses.length > 0 ? addresses : [undefined];
    let boundPort = port;
    for (const host of hosts) {
      const server = createServer({ keepAliveTimeout: 65_000, ServerResponse: CountedResponse }, (req, res) => void this.handle(req, res));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: boundPort, host }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      boundPort = (server.address() as AddressInfo).port;
      this.servers.push(server);
    }
    return boundPort;
  }

  /** Stops accepting connections; open keep-alive connections are closed once idle. */
  async close(): Promise<void> {
    await Promise.all(this.servers.map((server) => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    })));
  }

  /** Ends every connection now, for a forced stop. */
  closeAllConnections(): void {
    for (const server of this.servers) server.closeAllConnections();
  }

  private async handle(req: IncomingMessage, res: CountedResponse): Promise<void> {
    this.active++;
    let template = invocationPath;
    const observed = this.options.observe?.(req, res);
    const traced = this.options.traceCall?.(req, res);
    res.once('close', () => {
      this.active--;
      traced?.(res.statusCode, template);
      observed?.(template);
    });
    const path = pathOf(req.url ?? '/');
    try {
      if (this.options.apiToken !== undefined && !(req.method === 'GET' && tokenExempt.has(path.replace(/\/+$/, '')))) {
        if (req.headers['dapr-api-token'] !== this.options.apiToken) {
          // daprd answers a bad token with a plain-text 401, not with an error JSON.
          req.resume();
          res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
          res.end('invalid api token\n');
          return;
        }
      }
      // Health probes stay outside the pipeline as they stay outside the token: orchestrators carry neither.
      if (this.options.pipeline !== undefined && !(req.method === 'GET' && tokenExempt.has(path.replace(/\/+$/, '')))) {
        await this.runPipeline(req, res, this.options.pipeline, (found) => {
          template = found;
        });
        return;
      }
      const found = this.router.find(req.method as FindMyWay.HTTPMethod, req.url ?? '/');
      if (found) {
        template = (found.store as { template?: string } | undefined)?.template ?? template;
        await found.handler(req, res, found.params, found.store, found.searchParams);
      }
      else await this.options.fallback(req, res);
    } catch (error) {
      if (!isDaprError(error)) this.options.logger.error({ err: error, path }, `unexpected error handling ${req.method} ${path}: ${errorMessage(error)}`);
      if (!req.complete) req.resume();
      sendError(res, error);
    }
  }

  /** `httpPipeline`: the middleware run after the API token and before routing, as in daprd; a middleware may answer instead. */
  private runPipeline(req: IncomingMessage, res: ServerResponse, pipeline: ApiPipeline, onTemplate: (template: string) => void): Promise<void> {
    // Middleware cannot change the method or the target, so the route found now is the one taken, and a
    // request a middleware refuses is still counted under its route.
    const found = this.router.find(req.method as FindMyWay.HTTPMethod, req.url ?? '/');
    if (found) onTemplate((found.store as { template?: string } | undefined)?.template ?? invocationPath);
    return pipeline(req, res, async (request) => {
      if (!found) return this.options.fallback(request, res);
      await found.handler(request, res, found.params, found.store, found.searchParams);
    });
  }
}

/**
 * A route handler's request. The query is parsed on first use: invocation, the busiest route, never
 * reads it, and a URLSearchParams per call showed in its instruction count.
 */
class RouteRequest implements RequestContext {
  private parsedQuery: URLSearchParams | undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly params: Readonly<Record<string, string | undefined>>,
    readonly maxBodyBytes: number,
  ) {}

  /** Parsed from the raw URL so repeated parameters (`?key=a&key=b`) are all kept. */
  get query(): URLSearchParams {
    this.parsedQuery ??= new URLSearchParams(queryOf(this.req.url ?? ''));
    return this.parsedQuery;
  }
}
