// Service invocation of non-Dapr endpoints: an HTTPEndpoint resource's name, or a URL, as the target.
// https://docs.dapr.io/developing-applications/building-blocks/service-invocation/howto-invoke-non-dapr-endpoints/
import type { Agent } from 'undici';
import { daprError, errorMessage, splitTarget, type Logger } from '@outrigger/kit';
import { LazyAgent } from '../../app-channel/lazy-agent.js';
import { MetadataResolutionError, resolveMetadata, type SecretLookup } from '../../components/resolve-metadata.js';
import { ResourceError, type Located } from '../../resources/load-resources.js';
import type { HttpEndpointResource } from '../../resources/resource-schemas.js';

/** A call's destination outside Dapr. */
export interface ExternalTarget {
  /** The HTTPEndpoint's name, or the URL itself: what Resiliency's `targets.apps` and error messages name. */
  readonly name: string;
  /** A URL target, rather than an HTTPEndpoint. */
  readonly isUrl: boolean;
  /** Scheme, host and port of the base URL. */
  readonly origin: string;
  /** The base URL's path, `''` when it has none: the method path is appended to it, as daprd joins them. */
  readonly basePath: string;
  /** Set on every call, replacing the caller's header of the same name; names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly agent: LazyAgent;
}

export interface HttpEndpointsContext {
  readonly appId: string;
  readonly namespace: string;
  readonly env: NodeJS.ProcessEnv;
  readonly lookupSecret: SecretLookup;
  readonly logger: Logger;
}

/** An HTTP header name (RFC 9110 token). */
const headerName = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A header value undici will send: no control characters but tab. */
const headerValue = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Headers an HTTPEndpoint cannot declare: they frame the message or belong to one connection. */
const reservedHeaders = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'proxy-connection', 'upgrade', 'te', 'trailer', 'expect']);

const agentOptions = { keepAliveTimeout: 30_000, connections: 256 } as const satisfies Agent.Options;

/**
 * The HTTPEndpoint resources this sidecar loaded, and the URL targets. The order daprd follows: a target
 * that names an HTTPEndpoint goes to its base URL, then one starting with `http://` or `https://` goes to
 * that URL, and anything else is an app id.
 */
export class HttpEndpoints {
  private readonly shared = new LazyAgent(agentOptions);

  private constructor(private readonly named: ReadonlyMap<string, ExternalTarget>) {}

  /**
   * Resolves each endpoint's headers (`value`, `secretKeyRef` through its `auth.secretStore`, `envRef`)
   * and its `clientTLS` documents, once, at start-up.
   * @throws ResourceError naming the file, the endpoint and the field that cannot be used
   */
  static async create(resources: readonly Located<HttpEndpointResource>[], context: HttpEndpointsContext): Promise<HttpEndpoints> {
    const named = new Map<string, ExternalTarget>();
    for (const resource of resources) {
      const name = resource.metadata.name;
      const fail = (field: string, detail: string) => new ResourceError(resource.origin.file, `HTTPEndpoint "${name}"`, field, detail);
      if (named.has(name)) throw fail('metadata.name', `an HTTPEndpoint named "${name}" is already loaded`);
      const base = parseBaseUrl(resource.spec.baseUrl);
      if (typeof base === 'string') throw fail('spec.baseUrl', base);
      const headers = await endpointHeaders(resource, context, fail);
      const tls = await clientTls(resource, context, fail);
      named.set(name, {
        name, isUrl: false, ...base, headers,
        agent: tls ? new LazyAgent({ ...agentOptions, connect: { ...tls, minVersion: 'TLSv1.2' } }) : new LazyAgent(agentOptions),
      });
    }
    return new HttpEndpoints(named);
  }

  /**
   * The external destination `target` names, or undefined when it is an app id.
   * @throws DaprError for a URL target that is not a usable base URL (no host, a query or a fragment)
   */
  resolve(target: string): ExternalTarget | undefined {
    const endpoint = this.named.get(target);
    if (endpoint) return endpoint;
    if (!target.startsWith('http://') && !target.startsWith('https://')) return undefined;
    const base = parseBaseUrl(target);
    if (typeof base === 'string') throw daprError('directInvoke', target, `invalid URL target: ${base}`);
    return { name: target, isUrl: true, ...base, headers: {}, agent: this.shared };
  }

  async close(): Promise<void> {
    await Promise.all([this.shared, ...[...this.named.values()].map((endpoint) => endpoint.agent)].map((agent) => agent.close()));
  }
}

type Fail = (field: string, detail: string) => ResourceError;

/**
 * A base URL's origin and path, or why it cannot be one. `text` starts with `http://` or `https://`
 * (the HTTPEndpoint schema checks a base URL's scheme; a URL target is recognised by it).
 */
function parseBaseUrl(text: string): { origin: string; basePath: string } | string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${text} is not a URL`;
  }
  // WHATWG URLs skip extra slashes (`http:///host`), Go's do not: the host must follow the `//` at once.
  if (url.hostname === '' || !/^https?:\/\/[^/\\]/.test(text)) return `${text} has no host`;
  if (url.search !== '' || url.hash !== '' || text.includes('?') || text.includes('#')) return `${text} has a query or a fragment, which a base URL cannot have`;
  if (url.username !== '' || url.password !== '') return `${text} holds credentials; declare an Authorization header instead`;
  // daprd joins the text and the method: `http://host` has no path of its own, `http://host/` has "/".
  return { origin: url.origin, basePath: url.pathname === '/' && !text.endsWith('/') ? '' : url.pathname };
}

/**
 * The request target for a call to `to`: its base path, then the method path with its `.` and `..`
 * segments (also percent-encoded) resolved within itself, so a call cannot climb above the base path
 * (as daprd's method normalisation), then the query exactly as the caller sent it.
 * @param pathAndQuery the method path, starting with `/`, and its query string
 */
export function endpointRequestPath(to: ExternalTarget, pathAndQuery: string): string {
  const { path, query } = splitTarget(pathAndQuery);
  const kept: string[] = [];
  const segments = path.split('/');
  for (const segment of segments) {
    const dots = dotSegment(segment);
    if (dots === 1) continue;
    if (dots === 2) kept.pop();
    else kept.push(segment);
  }
  // A path that ended in a dot segment ends in "/", as RFC 3986's dot-segment removal leaves it.
  if (dotSegment(segments[segments.length - 1] ?? '') > 0 && kept[kept.length - 1] !== '') kept.push('');
  const method = kept.join('/');
  // An empty method calls the base URL itself, as daprd joins an empty method.
  const joined = method === '' || method === '/' ? to.basePath || '/' : `${to.basePath}${method.startsWith('/') ? method : `/${method}`}`;
  return `${joined}${query === undefined ? '' : `?${query}`}`;
}

/** 1 for a `.` segment, 2 for a `..` segment (either written with `%2e`), 0 otherwise. */
function dotSegment(segment: string): 0 | 1 | 2 {
  if (segment.length === 0 || segment.length > 6) return 0;
  const plain = segment.replace(/%2e/gi, '.');
  return plain === '.' ? 1 : plain === '..' ? 2 : 0;
}

async function endpointHeaders(resource: Located<HttpEndpointResource>, context: HttpEndpointsContext, fail: Fail): Promise<Record<string, string>> {
  const items = resource.spec.headers ?? [];
  let resolved: Record<string, string>;
  try {
    resolved = await resolveMetadata(items, { ...context, secretStore: resource.auth?.secretStore });
  } catch (error) {
    if (error instanceof MetadataResolutionError) throw fail(`spec.headers.${error.field}`, error.message);
    throw error;
  }
  const headers: Record<string, string> = {};
  for (const item of items) {
    const { name } = item;
    const value = resolved[name] as string;
    const lower = name.toLowerCase();
    if (!headerName.test(name)) throw fail(`spec.headers.${name}`, 'is not a valid HTTP header name');
    if (reservedHeaders.has(lower)) throw fail(`spec.headers.${name}`, 'frames the message or belongs to one connection, so the sidecar sets it');
    if (Object.hasOwn(headers, lower)) throw fail(`spec.headers.${name}`, 'is declared twice (header names are not case-sensitive)');
    if (!headerValue.test(value)) throw fail(`spec.headers.${name}`, 'has a value with characters an HTTP header cannot carry');
    headers[lower] = value;
  }
  return headers;
}

/** `clientTLS` as Node's TLS options: the root CA to trust, and the client certificate with its key. */
async function clientTls(resource: Located<HttpEndpointResource>, context: HttpEndpointsContext, fail: Fail): Promise<{ ca?: string; cert?: string; key?: string } | undefined> {
  const tls = resource.spec.clientTLS;
  if (!tls) return undefined;
  const read = async (field: 'rootCA' | 'certificate' | 'privateKey'): Promise<string | undefined> => {
    const document = tls[field];
    if (!document) return undefined;
    if (document.value !== undefined) return document.value;
    const ref = document.secretKeyRef;
    const store = resource.auth?.secretStore;
    if (!ref) return undefined;
    if (!store) throw fail(`spec.clientTLS.${field}`, `uses secretKeyRef "${ref.name}" but no secret store is available (set auth.secretStore to a loaded secret store)`);
    try {
      return await context.lookupSecret(store, ref.name, ref.key);
    } catch (error) {
      throw fail(`spec.clientTLS.${field}`, `secretKeyRef "${ref.name}": ${errorMessage(error)}`);
    }
  };
  const [ca, cert, key] = [await read('rootCA'), await read('certificate'), await read('privateKey')];
  if (ca !== undefined && !ca.includes('-----BEGIN CERTIFICATE-----')) throw fail('spec.clientTLS.rootCA', 'is not a PEM certificate');
  const options = { ...(ca !== undefined && { ca }), ...(cert !== undefined && { cert }), ...(key !== undefined && { key }) };
  try {
    // Made once here so a malformed PEM, or a key that does not match its certificate, stops the start.
    // node:tls is imported only for an endpoint with clientTLS.
    const { createSecureContext } = await import('node:tls');
    createSecureContext(options);
  } catch (error) {
    throw fail('spec.clientTLS', `cannot be used: ${errorMessage(error)}`);
  }
  if (tls.renegotiation !== undefined && tls.renegotiation !== 'Never') {
    context.logger.warn(`HTTPEndpoint "${resource.metadata.name}": clientTLS.renegotiation ${tls.renegotiation} is not applied; Node's TLS client follows OpenSSL's defaults`);
  }
  return options;
}
