import { buffer } from 'node:stream/consumers';
import type { DescMessage, DescMethodUnary, MessageInitShape } from '@bufbuild/protobuf';
import { Code, ConnectError, type Transport, type UnaryResponse } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { delay, type Logger } from '@outrigger/kit';
import type { BindingEvent } from '@outrigger/components-api';
import type { DeliveryResult } from '../../blocks/pubsub/delivery.js';
import { loadCelForRules } from '../../blocks/pubsub/subscription-model.js';
import { waitForPort } from '../../lifecycle/wait-for-port.js';
import type {
  AppChannel, AppInvokeRequest, AppInvokeResponse, AppSubscriptions, BulkTopicEventDelivery, InputBindingTarget, TopicEventDelivery,
} from '../app-channel.js';
import { h2cSessionOptions } from '../../api/grpc/h2c-session-options.js';
import { ConcurrencyGate } from '../concurrency-gate.js';
import { appCallback } from './app-callback-methods.js';
import { customMetadata, errorAnswer, invokeMetadata, methodOf, successAnswer, verbOf } from './grpc-invoke-mapping.js';
import { subscriptionsFromGrpc } from './grpc-subscriptions.js';
import { deliverBulkWithFallback } from './bulk-fallback.js';
import { EnvelopeError, outcomeOfStatus, topicEventBulkRequest, topicEventRequest } from './grpc-topic-events.js';

export interface GrpcAppChannelOptions {
  readonly address: string;
  readonly port: number;
  readonly maxConcurrency: number;
  /** `APP_API_TOKEN`: sent to the app as `dapr-api-token` metadata on every call. */
  readonly appApiToken: string | undefined;
  /** Largest message read from the app (daprd's `--max-body-size` for its app calls). */
  readonly maxBodyBytes: number;
  readonly logger?: Logger;
}

interface CallOptions {
  readonly metadata?: Headers;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/**
 * Calls into an app that speaks gRPC (`--app-protocol grpc`): `dapr.proto.runtime.v1.AppCallback`,
 * `AppCallbackAlpha` and `AppCallbackHealthCheck` over one HTTP/2 connection (h2c), through Connect's
 * gRPC transport. Calls go through the `--app-max-concurrency` gate and count in `inFlight`.
 */
export class GrpcAppChannel implements AppChannel {
  readonly protocol = 'grpc' as const;
  private readonly sessions: Http2SessionManager;
  private readonly transport: Transport;
  private readonly gate: ConcurrencyGate;
  private inputBindings: Promise<readonly string[]> | undefined;
  private warnedAboutBindingReplies = false;

  constructor(private readonly options: GrpcAppChannelOptions) {
    const host = options.address.includes(':') ? `[${options.address}]` : options.address;
    const baseUrl = `http://${host}:${options.port}`;
    this.sessions = new Http2SessionManager(baseUrl, undefined, h2cSessionOptions(baseUrl));
    this.transport = createGrpcTransport({ baseUrl, sessionManager: this.sessions, readMaxBytes: options.maxBodyBytes });
    this.gate = new ConcurrencyGate(options.maxConcurrency);
  }

  get inFlight(): number {
    return this.gate.inFlight;
  }

  /**
   * `OnInvoke` with the HTTP call mapped as daprd maps it: verb and query string in `http_extension`,
   * the body as `data` (an `Any` without type URL), the content type, headers as metadata. A gRPC error
   * comes back as its mapped HTTP status with the status as JSON.
   */
  async invokeMethod(request: AppInvokeRequest): Promise<AppInvokeResponse> {
    const data = await bodyBytes(request.body);
    const contentType = request.headers['content-type'];
    try {
      const response = await this.call(appCallback.onInvoke, {
        method: methodOf(request.path),
        data: { typeUrl: '', value: data },
        contentType: typeof contentType === 'string' ? contentType : contentType?.[0] ?? '',
        httpExtension: { verb: verbOf(request.verb), querystring: request.query ?? '' },
      }, { metadata: invokeMetadata(request.headers, request.identity), ...(request.signal ? { signal: request.signal } : {}) });
      return asResponse(successAnswer(response.message, response.header));
    } catch (error) {
      return asResponse(errorAnswer(ConnectError.from(error)));
    }
  }

  /** `OnTopicEvent`: UNIMPLEMENTED drops the event and any other error retries it, as in daprd. */
  async deliverTopicEvent(delivery: TopicEventDelivery): Promise<DeliveryResult> {
    let request;
    try {
      request = topicEventRequest(delivery);
    } catch (error) {
      if (error instanceof EnvelopeError) return { outcome: 'retry', detail: error.message };
      throw error;
    }
    const metadata = customMetadata(delivery.metadata);
    for (const field of ['traceparent', 'tracestate'] as const) {
      const value = delivery.event[field];
      if (typeof value === 'string' && /^[\x20-\x7e]*$/.test(value)) metadata.set(field, value);
    }
    try {
      const response = await this.call(appCallback.onTopicEvent, request, { metadata });
      return outcomeOfStatus(response.message.status);
    } catch (error) {
      const failure = ConnectError.from(error);
      if (failure.code === Code.Unimplemented) return { outcome: 'drop', detail: `the app does not implement OnTopicEvent: ${failure.rawMessage}` };
      return { outcome: 'retry', detail: `the app answered ${Code[failure.code]}: ${failure.rawMessage}` };
    }
  }

  /** `AppCallback/OnBulkTopicEvent`, then `AppCallbackAlpha/OnBulkTopicEventAlpha1` when the app lacks the stable method. */
  async deliverBulkTopicEvent(delivery: BulkTopicEventDelivery): Promise<Map<string, DeliveryResult>> {
    const { request, failed } = topicEventBulkRequest(delivery);
    const results = await deliverBulkWithFallback(
      (method) => this.call(method, request).then((response) => response.message),
      delivery.entries.filter((entry) => !failed.has(entry.entryId)).map((entry) => entry.entryId),
      this.options.logger,
    );
    for (const [entryId, result] of failed) results.set(entryId, result);
    return results;
  }

  /** `ListTopicSubscriptions`; UNIMPLEMENTED means none, as in daprd. */
  async listSubscriptions(): Promise<AppSubscriptions> {
    try {
      const response = await this.call(appCallback.listTopicSubscriptions, {});
      await loadCelForRules(response.message.subscriptions);
      return subscriptionsFromGrpc(response.message);
    } catch (error) {
      const failure = ConnectError.from(error);
      if (failure.code !== Code.Unimplemented) throw failure;
      this.options.logger?.info('pubsub subscriptions: gRPC app does not implement ListTopicSubscriptions');
      return { subscriptions: [], problems: [] };
    }
  }

  /**
   * Whether `ListInputBindings` names the binding (exactly, as daprd compares). The list is asked once;
   * an app that does not implement the method subscribes to none, and an app that cannot be reached
   * is asked again next time.
   */
  async isSubscribedToBinding(binding: InputBindingTarget, signal: AbortSignal): Promise<boolean> {
    this.inputBindings ??= this.call(appCallback.listInputBindings, {}, { signal }).then(
      (response) => response.message.bindings,
      (error: unknown) => {
        const failure = ConnectError.from(error);
        if (failure.code === Code.Unimplemented) return [];
        this.inputBindings = undefined;
        this.options.logger?.warn(`ListInputBindings failed: ${failure.message}`);
        return [];
      },
    );
    return (await this.inputBindings).includes(binding.name);
  }

  /** `OnBindingEvent(name, data, metadata)`; an error answer rejects, so the component learns the app refused. */
  async deliverBindingEvent(binding: InputBindingTarget, event: BindingEvent): Promise<void> {
    let response;
    try {
      response = await this.call(appCallback.onBindingEvent, { name: binding.name, data: event.data, metadata: { ...event.metadata } });
    } catch (error) {
      throw new Error(`error invoking app: ${ConnectError.from(error).message}`);
    }
    if (response.message.to.length > 0 && !this.warnedAboutBindingReplies) {
      this.warnedAboutBindingReplies = true;
      this.options.logger?.warn(`input binding ${binding.name}: the app's reply names output bindings (to: ${response.message.to.join(', ')}); Outrigger does not send binding replies on yet`);
    }
  }

  /**
   * Resolves once the app's port accepts connections and the app answers `HealthCheck`; an app that
   * does not implement `AppCallbackHealthCheck` (UNIMPLEMENTED) is ready once its port is open.
   */
  async waitUntilReachable(signal: AbortSignal): Promise<void> {
    await waitForPort(this.options.address, this.options.port, signal);
    let reported = false;
    for (;;) {
      const healthy = await this.probeHealth(AbortSignal.any([signal, AbortSignal.timeout(2_000)]));
      if (healthy.ok || healthy.code === Code.Unimplemented) return;
      if (signal.aborted) throw new Error(`stopped waiting for the app on ${this.options.address}:${this.options.port}`);
      if (!reported) this.options.logger?.info(`the app does not pass HealthCheck yet: ${healthy.detail}`);
      reported = true;
      await delay(100, signal).catch(() => undefined);
    }
  }

  /** App health checks (`--enable-app-health-check`) ask `HealthCheck`, as daprd does; any error is unhealthy. */
  readonly healthProbe = async (signal: AbortSignal): Promise<boolean> => (await this.probeHealth(signal)).ok;

  /** `AppCallbackHealthCheck/HealthCheck`, outside the concurrency gate (a busy app is not an unhealthy one). */
  async probeHealth(signal: AbortSignal): Promise<{ ok: boolean; code?: Code; detail: string }> {
    try {
      await this.transport.unary(appCallback.healthCheck, signal, undefined, this.withToken(new Headers()), {});
      return { ok: true, detail: 'healthy' };
    } catch (error) {
      const failure = ConnectError.from(error);
      return { ok: false, code: failure.code, detail: failure.message };
    }
  }

  /** Ends the HTTP/2 connection; calls still open are abandoned. */
  async close(): Promise<void> {
    this.sessions.abort();
  }

  private call<I extends DescMessage, O extends DescMessage>(method: DescMethodUnary<I, O>, input: MessageInitShape<I>, options: CallOptions = {}): Promise<UnaryResponse<I, O>> {
    const metadata = this.withToken(options.metadata ?? new Headers());
    const send = () => this.transport.unary(method, options.signal, options.timeoutMs, metadata, input);
    return this.gate.run(() => send().catch((error: unknown) => {
      // A stream refused on a connection the app just closed never reached it: sent again once on a
      // new connection, as gRPC's transparent retry does.
      if (refusedStream(error)) return send();
      throw error;
    }));
  }

  private withToken(metadata: Headers): Headers {
    if (this.options.appApiToken) metadata.set('dapr-api-token', this.options.appApiToken);
    return metadata;
  }
}

function refusedStream(error: unknown): boolean {
  return error instanceof ConnectError && /NGHTTP2_REFUSED_STREAM/.test(error.rawMessage);
}

async function bodyBytes(body: AppInvokeRequest['body']): Promise<Uint8Array> {
  if (body === undefined) return new Uint8Array();
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return body;
  return buffer(body);
}

function asResponse(answer: { status: number; headers: Record<string, string | string[]>; body: Buffer }): AppInvokeResponse {
  return { status: answer.status, headers: answer.headers, body: answer.body };
}

