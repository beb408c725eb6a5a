// Service invocation of non-Dapr endpoints: an HTTPEndpoint resource's name, or a URL, as the target.
// https://docs.dapr.io/developing-applications/building-blocks/service-invocation/howto-invoke-non-dapr-endpoints/
import type { Agent } from 'undici';
import { errorMessage, type Logger } from '@outrigger/kit';
import { LazyAgent } from '../../app-channel/lazy-agent.js';
import { MetadataResolutionError, resolveMetadata, type SecretLookup } from '../../components/resolve-metadata.js';
import { ResourceError, type Located } from '../../resources/load-resources.js';
import type { HttpEndpointResource } from '../../resources/resource-schemas.js';

/** A call's destination outside Dapr. */
export interface ExternalTarget {
  /** The HTTPEndpoint's name, or the URL itself: what Resiliency's `targets.apps` and error messages name. */
  readonly name: string;
  /** The method path (with its query) is appended to it, as daprd joins them. */
  readonly baseUrl: string;
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
      const headers = await endpointHeaders(resource, context, fail);
      const tls = await clientTls(resource, context, fail);
      named.set(name, {
        name, baseUrl: resource.spec.baseUrl, headers,
        agent: tls ? new LazyAgent({ ...agentOptions, connect: { ...tls, minVersion: 'TLSv1.2' } }) : new LazyAgent(agentOptions),
      });
    }
    return new HttpEndpoints(named);
  }

  /** The external destination `target` names, or undefined when it is an app id. */
  resolve(target: string): ExternalTarget | undefined {
    const endpoint = this.named.get(target);
    if (endpoint) return endpoint;
    if (target.startsWith('http://') || target.startsWith('https://')) return { name: target, baseUrl: target, headers: {}, agent: this.shared };
    return undefined;
  }

  async close(): Promise<void> {
    await Promise.all([this.shared, ...[...this.named.values()].map((endpoint) => endpoint.agent)].map((agent) => agent.close()));
  }
}

type Fail = (field: string, detail: string) => ResourceError;

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
  for (const [name, value] of Object.entries(resolved)) {
    if (!headerName.test(name)) throw fail(`spec.headers.${name}`, 'is not a valid HTTP header name');
    if (!headerValue.test(value)) throw fail(`spec.headers.${name}`, 'has a value with characters an HTTP header cannot carry');
    headers[name.toLowerCase()] = value;
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
