import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { BindingEvent } from '@outrigger/components-api';
import type { BulkEntry, DeliveryResult } from '../blocks/pubsub/delivery.js';
import type { Subscription } from '../blocks/pubsub/subscription-model.js';

/** How the sidecar talks to its app (`--app-protocol`). */
export type AppProtocol = 'http' | 'grpc';

/** Identity of the caller, added to every invocation of the app. */
export interface CallerIdentity {
  readonly callerAppId: string;
  readonly calleeAppId: string;
  readonly callerNamespace: string;
}

/** One call of an app method, in HTTP terms whatever the app speaks. */
export interface AppInvokeRequest {
  /** HTTP verb, upper case. */
  readonly verb: string;
  /** The method as a URL path, percent-encoding kept, starting with `/`. */
  readonly path: string;
  /** The query string without `?`; undefined when the URL had no `?`. */
  readonly query: string | undefined;
  /** Headers for the app (gRPC: metadata), names in lower case, hop-by-hop ones already removed. */
  readonly headers: Readonly<Record<string, string | string[]>>;
  /** Streamed to an HTTP app; read whole for a gRPC app. */
  readonly body: Readable | Uint8Array | string | undefined;
  /** Added as `dapr-caller-app-id`, `dapr-callee-app-id`, `dapr-caller-namespace`. */
  readonly identity?: CallerIdentity;
  readonly signal?: AbortSignal;
}

/** The app's answer in HTTP terms; a gRPC status is already mapped to an HTTP status as daprd maps it. */
export interface AppInvokeResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /**
   * A Buffer when the channel read the answer whole (small answers); else a stream, which the caller
   * must read or destroy: the call counts as in flight until it ends. {@link wholeBody} reads either.
   */
  readonly body: Buffer | Readable;
}

/** An answer's body read whole, whichever form it came in. */
export async function wholeBody(body: Buffer | Readable): Promise<Buffer> {
  return Buffer.isBuffer(body) ? body : buffer(body);
}

/** One CloudEvent for one subscription route. */
export interface TopicEventDelivery {
  /** The route chosen by the subscription's rules (HTTP: the path POSTed to). */
  readonly path: string;
  readonly topic: string;
  readonly pubsubName: string;
  readonly event: Readonly<Record<string, unknown>>;
  /** Broker metadata (HTTP: headers, gRPC: metadata). */
  readonly metadata: Readonly<Record<string, string>> | undefined;
}

/** A bulk-subscribe batch for one subscription route. */
export interface BulkTopicEventDelivery {
  readonly path: string;
  readonly topic: string;
  readonly pubsubName: string;
  readonly entries: readonly BulkEntry[];
}

/** An input binding as the app knows it: component name and (HTTP) route. */
export interface InputBindingTarget {
  readonly name: string;
  readonly route: string;
}

/** The app's own subscriptions, parsed; `problems` are entries that could not be used. */
export interface AppSubscriptions {
  readonly subscriptions: Subscription[];
  readonly problems: string[];
}

/**
 * Everything the building blocks ask of the app, whatever protocol it speaks. `HttpAppChannel` and
 * `GrpcAppChannel` implement it; both count their calls in `inFlight` and honour `--app-max-concurrency`.
 */
export interface AppChannel {
  readonly protocol: AppProtocol;
  /** Calls into the app not finished yet; read by shutdown to wait for the app. */
  readonly inFlight: number;
  /**
   * Invokes a method of the app (service invocation, configuration updates). A gRPC error answer is
   * not thrown: it comes back as an HTTP status and a JSON status body, as daprd returns it.
   * @throws when an HTTP app cannot be reached or a body is too large
   */
  invokeMethod(request: AppInvokeRequest): Promise<AppInvokeResponse>;
  /** Delivers one event; never throws: an unreachable app is a retry. */
  deliverTopicEvent(delivery: TopicEventDelivery): Promise<DeliveryResult>;
  /** Delivers a batch; every entry gets a result (missing from the answer: retry). Never throws. */
  deliverBulkTopicEvent(delivery: BulkTopicEventDelivery): Promise<Map<string, DeliveryResult>>;
  /** Asks the app for its programmatic subscriptions. @throws when the app cannot be asked (worth a retry) */
  listSubscriptions(): Promise<AppSubscriptions>;
  /** Whether the app wants events of this input binding. @throws when the app cannot be asked */
  isSubscribedToBinding(binding: InputBindingTarget, signal: AbortSignal): Promise<boolean>;
  /** Delivers one input binding event. @throws when the app refuses it or cannot be reached */
  deliverBindingEvent(binding: InputBindingTarget, event: BindingEvent): Promise<void>;
  /**
   * Resolves once the app can take calls: its port accepts connections (gRPC: and it answers
   * `HealthCheck`, when it implements it). @throws when `signal` aborts first
   */
  waitUntilReachable(signal: AbortSignal): Promise<void>;
  /** The protocol's own app health probe (gRPC: `HealthCheck`); absent for HTTP, probed at `--app-health-check-path`. */
  readonly healthProbe?: (signal: AbortSignal) => Promise<boolean>;
  /** Ends open connections; calls still open belong to a hung app and are abandoned. */
  close(): Promise<void>;
}
