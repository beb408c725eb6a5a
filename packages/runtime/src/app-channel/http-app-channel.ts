import { finished } from 'node:stream/promises';
import type { Dispatcher } from 'undici';
import type { Logger } from '@outrigger/kit';
import type { BindingEvent } from '@outrigger/components-api';
import { deliverBulk, deliverEvent, type DeliveryResult } from '../blocks/pubsub/delivery.js';
import { loadCelForRules, parseProgrammatic } from '../blocks/pubsub/subscription-model.js';
import { waitForPort } from '../lifecycle/wait-for-port.js';
import type {
  AppChannel, AppInvokeRequest, AppInvokeResponse, AppSubscriptions, BulkTopicEventDelivery, InputBindingTarget, TopicEventDelivery,
} from './app-channel.js';
import { ConcurrencyGate } from './concurrency-gate.js';
import { LazyAgent } from './lazy-agent.js';
import { AppAnswerHandler } from './app-answer-handler.js';
import type { AppCall, AppCallPipeline, AppReply } from '../middleware/app-exchange.js';
import { bindingEventHeaders, bindingRefusal } from './http-binding-wire.js';

export type { CallerIdentity } from './app-channel.js';

export interface HttpAppChannelOptions {
  readonly address: string;
  readonly port: number;
  readonly maxConcurrency: number;
  /** `APP_API_TOKEN`: sent to the app as `dapr-api-token` on every call. */
  readonly appApiToken: string | undefined;
  readonly maxBodyBytes: number;
  /** For what the app answers that is worth a line but not an error (a refused subscription list). */
  readonly logger?: Logger;
  /** The Configuration's `appHttpPipeline`: every call to the app (invocations, deliveries, probes) runs through it. */
  readonly pipeline?: AppCallPipeline | undefined;
}

/** An answer from the app, read whole. */
export interface AppResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** Calls into the app over HTTP with pooled keep-alive connections, counting calls in flight. */
export class HttpAppChannel implements AppChannel {
  readonly protocol = 'http' as const;
  readonly origin: string;
  private readonly agent = new LazyAgent({ keepAliveTimeout: 30_000, connections: 128 });
  private readonly gate: ConcurrencyGate;

  constructor(private readonly options: HttpAppChannelOptions) {
    const host = options.address.includes(':') ? `[${options.address}]` : options.address;
    this.origin = `http://${host}:${options.port}`;
    this.gate = new ConcurrencyGate(options.maxConcurrency);
  }

  get inFlight(): number {
    return this.gate.inFlight;
  }

  /**
   * Streams a call to the app. A small answer with a declared length comes back whole, as a Buffer,
   * once read; any other answer as soon as its headers arrive, its body streaming. The call keeps its
   * place in the concurrency gate until the answer's body has ended.
   */
  invokeMethod(request: AppInvokeRequest): Promise<AppInvokeResponse> {
    const headers: Record<string, string | string[]> = { ...request.headers };
    if (request.identity) {
      headers['dapr-caller-app-id'] = request.identity.callerAppId;
      headers['dapr-callee-app-id'] = request.identity.calleeAppId;
      if (request.identity.callerNamespace !== '') headers['dapr-caller-namespace'] = request.identity.callerNamespace;
    }
    if (this.options.appApiToken) headers['dapr-api-token'] = this.options.appApiToken;
    const path = request.query === undefined ? request.path : `${request.path}?${request.query}`;
    if (this.options.pipeline) return this.invokeThroughPipeline(this.options.pipeline, { method: request.verb, path, headers, body: request.body }, request.signal);
    return new Promise((resolve, reject) => {
      this.gate.run(() => new Promise<void>((done) => {
        this.agent.dispatch(
          { origin: this.origin, path, method: request.verb as Dispatcher.HttpMethod, headers, body: request.body ?? null },
          new AppAnswerHandler(resolve, reject, done, request.signal, request.body),
        );
      })).catch(reject);
    });
  }

  /** An invocation through the `appHttpPipeline`: its answer streams, and holds the gate until the body ends. */
  private invokeThroughPipeline(pipeline: AppCallPipeline, call: AppCall, signal: AbortSignal | undefined): Promise<AppInvokeResponse> {
    return new Promise((resolve, reject) => {
      this.gate.run(async () => {
        let reply: AppReply;
        try {
          reply = await pipeline(call, (passed) => this.send(passed, signal));
        } catch (error) {
          reject(error);
          return;
        }
        resolve({ status: reply.status, headers: reply.headers, body: reply.body });
        await finished(reply.body).catch(() => undefined);
      }).catch(reject);
    });
  }

  /**
   * Makes one call into the app and reads the whole answer; for deliveries the sidecar starts itself
   * (events, bindings, configuration updates). Counted in `inFlight` like proxied calls. `signal`
   * abandons the call (a probe with a deadline), so a hung app cannot hold the pool open at shutdown.
   */
  async call(method: string, path: string, headers: Record<string, string>, body?: Uint8Array | string, signal?: AbortSignal): Promise<AppResponse> {
    const allHeaders: Record<string, string> = { ...headers };
    if (this.options.appApiToken) allHeaders['dapr-api-token'] = this.options.appApiToken;
    return this.gate.run(async () => {
      if (this.options.pipeline) {
        const reply = await this.options.pipeline({ method, path, headers: allHeaders, body }, (call) => this.send(call, signal));
        return { status: reply.status, headers: reply.headers, body: Buffer.concat(await reply.body.toArray() as Buffer[]) };
      }
      const response = await this.agent.request({
        origin: this.origin, path, method: method as Dispatcher.HttpMethod, headers: allHeaders, body: body ?? null, ...(signal ? { signal } : {}),
      });
      const bytes = Buffer.from(await response.body.arrayBuffer());
      return { status: response.statusCode, headers: response.headers as Record<string, string | string[] | undefined>, body: bytes };
    });
  }

  /** One HTTP call to the app, as the end of `invokeMethod` and of the `appHttpPipeline`. */
  private async send(call: AppCall, signal: AbortSignal | undefined): Promise<AppReply> {
    const response = await this.agent.request({
      origin: this.origin, path: call.path, method: call.method as Dispatcher.HttpMethod, headers: call.headers, body: call.body ?? null,
      ...(signal ? { signal } : {}),
    });
    return { status: response.statusCode, headers: response.headers as Record<string, string | string[] | undefined>, body: response.body };
  }

  /** POSTs the CloudEvent to the route (pubsub/delivery.ts holds the HTTP form). */
  deliverTopicEvent(delivery: TopicEventDelivery): Promise<DeliveryResult> {
    return deliverEvent(this, delivery.path, { ...delivery.event }, delivery.metadata);
  }

  deliverBulkTopicEvent(delivery: BulkTopicEventDelivery): Promise<Map<string, DeliveryResult>> {
    return deliverBulk(this, delivery.path, delivery.topic, delivery.pubsubName, delivery.entries);
  }

  /** `GET /dapr/subscribe`: 404 or an empty body is no subscriptions, as is any other non-2xx answer (logged). */
  async listSubscriptions(): Promise<AppSubscriptions> {
    const response = await this.call('GET', '/dapr/subscribe', {});
    if (response.status === 404) return { subscriptions: [], problems: [] };
    if (response.status < 200 || response.status > 299) {
      this.options.logger?.warn(`GET /dapr/subscribe answered ${response.status}; no programmatic subscriptions`);
      return { subscriptions: [], problems: [] };
    }
    const text = response.body.toString('utf8').trim();
    if (text === '') return { subscriptions: [], problems: [] };
    const body: unknown = JSON.parse(text);
    if (Array.isArray(body)) await loadCelForRules(body);
    const parsed = parseProgrammatic(body);
    return { subscriptions: parsed.subscriptions, problems: parsed.problems.map((problem) => `GET /dapr/subscribe: ${problem}`) };
  }

  /** `OPTIONS /{route}`: 2xx or 405 means the app has an endpoint for the binding. */
  async isSubscribedToBinding(binding: InputBindingTarget, signal: AbortSignal): Promise<boolean> {
    const response = await this.call('OPTIONS', binding.route, { 'content-type': 'application/json' }, undefined, signal);
    return Math.floor(response.status / 100) === 2 || response.status === 405;
  }

  /** `POST /{route}` with the raw bytes and the event metadata as headers; non-2xx is a refusal. */
  async deliverBindingEvent(binding: InputBindingTarget, event: BindingEvent): Promise<void> {
    const response = await this.call('POST', binding.route, bindingEventHeaders(event), event.data);
    if (response.status < 200 || response.status > 299) throw bindingRefusal(response.status, response.body);
  }

  /** The app's port accepts connections. */
  waitUntilReachable(signal: AbortSignal): Promise<void> {
    return waitForPort(this.options.address, this.options.port, signal);
  }

  /**
   * Ends every connection. The sidecar calls it after waiting for calls in flight (bounded by the grace
   * period), so a call still open belongs to a hung app: it is abandoned rather than waited for forever.
   */
  async close(): Promise<void> {
    await this.agent.destroy();
  }
}
