import type { IncomingMessage, ServerResponse } from 'node:http';
import { buffer } from 'node:stream/consumers';
import { Agent, type Dispatcher } from 'undici';
import { daprError, errorMessage, isDaprError, type Logger } from '@outrigger/kit';
import type { AppChannel } from '../../app-channel/app-channel.js';
import { forwardToApp } from '../../app-channel/forward-to-app.js';
import { forwardHttp } from '../../app-channel/http-forwarder.js';
import { forwardableHeaders } from '../../app-channel/proxy-headers.js';
import type { LocalRegistry } from '../../nameresolution/local-registry.js';

export interface InvokeServiceOptions {
  readonly appId: string;
  readonly namespace: string;
  readonly appChannel: AppChannel | undefined;
  readonly registry: LocalRegistry;
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  /** Why calls into this sidecar's app are refused now (unhealthy app, drain); undefined when accepted. */
  readonly inboundRefusal?: () => 'not-ready' | 'unhealthy' | 'draining' | undefined;
}

/** An invocation read whole, as the gRPC InvokeService API makes it. */
export interface BufferedInvokeRequest {
  /** HTTP verb, upper case. */
  readonly verb: string;
  /** The method as a URL path starting with `/`. */
  readonly path: string;
  /** The query string without `?`. */
  readonly query: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** The app's answer, read whole. */
export interface BufferedInvokeResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** Headers that stop at the sidecar: the API token and the routing header. */
export const sidecarOnlyHeaders = ['dapr-api-token', 'dapr-app-id'] as const;

/** Headers one sidecar sends the other to say who is calling. */
export const callerHeaders = { appId: 'dapr-caller-app-id', namespace: 'dapr-caller-namespace' } as const;

/**
 * Service invocation: a call for this app goes straight to the app channel; a call for another app
 * goes to that app's sidecar (found in the local registry), which passes it to its app. Bodies stream
 * both ways and status, headers and body come back unchanged.
 */
export class InvokeService {
  private readonly agent = new Agent({ keepAliveTimeout: 30_000, connections: 256 });

  constructor(private readonly options: InvokeServiceOptions) {}

  /**
   * @param target `app`, `app.namespace`
   * @param pathAndQuery the method path with its query string, starting with `/`
   * @throws DaprError before any byte of the answer is written
   */
  async invoke(req: IncomingMessage, res: ServerResponse, target: string, pathAndQuery: string): Promise<void> {
    const { appId, namespace } = parseTarget(target, this.options.namespace);
    try {
      if (appId === this.options.appId && namespace === this.options.namespace) {
        await this.invokeLocal(req, res, pathAndQuery, this.options.appId, this.options.namespace);
        return;
      }
      await this.invokeRemote(req, res, appId, namespace, pathAndQuery, target);
    } catch (error) {
      if (res.headersSent) {
        this.options.logger.warn(`invocation of ${target} failed after the answer started: ${errorMessage(error)}`);
        res.destroy();
        return;
      }
      throw isDaprError(error) ? error : daprError('directInvoke', target, errorMessage(error));
    }
  }

  /** Hands a call to this sidecar's app; used for self-invocation and for calls arriving from other sidecars. */
  async invokeLocal(req: IncomingMessage, res: ServerResponse, pathAndQuery: string, callerAppId: string, callerNamespace: string): Promise<void> {
    const channel = this.options.appChannel;
    if (!channel) throw daprError('appChannelNil', this.options.appId);
    const refusal = this.options.inboundRefusal?.();
    // 503 while draining, so callers retry against another instance; daprd's 500 while the app is unhealthy.
    if (refusal === 'draining') throw daprError('shuttingDown');
    if (refusal === 'unhealthy') throw daprError('appUnhealthy', this.options.appId);
    if (refusal === 'not-ready') throw daprError('appNotReady', this.options.appId);
    await forwardToApp(channel, req, res, pathAndQuery, { callerAppId, callerNamespace, calleeAppId: this.options.appId },
      [...sidecarOnlyHeaders, callerHeaders.appId, callerHeaders.namespace], this.options.maxBodyBytes);
  }

  /**
   * An invocation whose request and answer are read whole (the gRPC InvokeService API): to this app
   * through its channel, to another app through that app's sidecar, like {@link invoke}.
   * @param target `app`, `app.namespace`
   * @throws DaprError when the target cannot be found or reached
   */
  async call(target: string, request: BufferedInvokeRequest): Promise<BufferedInvokeResponse> {
    const { appId, namespace } = parseTarget(target, this.options.namespace);
    try {
      if (appId === this.options.appId && namespace === this.options.namespace) {
        return await this.callLocal(request, this.options.appId, this.options.namespace);
      }
      return await this.callRemote(request, appId, namespace, target);
    } catch (error) {
      throw isDaprError(error) ? error : daprError('directInvoke', target, errorMessage(error));
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async callLocal(request: BufferedInvokeRequest, callerAppId: string, callerNamespace: string): Promise<BufferedInvokeResponse> {
    const channel = this.options.appChannel;
    if (!channel) throw daprError('appChannelNil', this.options.appId);
    const refusal = this.options.inboundRefusal?.();
    if (refusal === 'draining') throw daprError('shuttingDown');
    if (refusal === 'unhealthy') throw daprError('appUnhealthy', this.options.appId);
    if (refusal === 'not-ready') throw daprError('appNotReady', this.options.appId);
    const answer = await channel.invokeMethod({
      verb: request.verb, path: request.path, query: request.query, headers: request.headers, body: request.body,
      identity: { callerAppId, callerNamespace, calleeAppId: this.options.appId },
    });
    return { status: answer.status, headers: answer.headers, body: await buffer(answer.body) };
  }

  private async callRemote(request: BufferedInvokeRequest, appId: string, namespace: string, target: string): Promise<BufferedInvokeResponse> {
    const candidates = this.options.registry.lookup(appId, namespace);
    const chosen = candidates[Math.floor(Math.random() * candidates.length)];
    if (!chosen) throw daprError('directInvokeAppNotFound', target, target);
    const headers: Record<string, string> = { ...request.headers, [callerHeaders.appId]: this.options.appId, [callerHeaders.namespace]: this.options.namespace };
    const answer = await this.agent.request({
      origin: `http://${chosen.internalAddress}`, path: request.query === undefined ? request.path : `${request.path}?${request.query}`,
      method: request.verb as Dispatcher.HttpMethod, headers, body: request.body,
    });
    const body = Buffer.from(await answer.body.arrayBuffer());
    return { status: answer.statusCode, headers: answer.headers as Record<string, string | string[] | undefined>, body };
  }

  private async invokeRemote(req: IncomingMessage, res: ServerResponse, appId: string, namespace: string, pathAndQuery: string, target: string): Promise<void> {
    const candidates = this.options.registry.lookup(appId, namespace);
    if (candidates.length === 0) throw daprError('directInvokeAppNotFound', target, target);
    const chosen = candidates[Math.floor(Math.random() * candidates.length)];
    if (!chosen) throw daprError('directInvokeAppNotFound', target, target);
    const headers = forwardableHeaders(req.headers, sidecarOnlyHeaders);
    headers[callerHeaders.appId] = this.options.appId;
    headers[callerHeaders.namespace] = this.options.namespace;
    await forwardHttp(this.agent, {
      origin: `http://${chosen.internalAddress}`, path: pathAndQuery, method: req.method ?? 'GET', headers, body: req, maxBodyBytes: this.options.maxBodyBytes,
    }, res);
  }
}

/** `app` or `app.namespace`; more dots than one is not an app id. @throws DaprError */
export function parseTarget(target: string, defaultNamespace: string): { appId: string; namespace: string } {
  const parts = target.split('.');
  if (parts.length > 2 || parts.some((part) => part === '')) throw daprError('directInvoke', target, `invalid app id ${target}`);
  return { appId: parts[0] as string, namespace: parts[1] ?? defaultNamespace };
}
