import type { Component } from './component.js';

/** One call of an output binding, as the runtime hands it to the component. */
export interface BindingInvokeRequest {
  /** The operation the caller named, e.g. `create`, `get`; already checked against `operations()`. */
  readonly operation: string;
  /** The request's `data` field, JSON-encoded as daprd encodes it (a JSON string arrives with its quotes). */
  readonly data: Uint8Array;
  /** Request metadata: the caller's `metadata` object plus trace headers. */
  readonly metadata: Readonly<Record<string, string>>;
}

/** What an output binding answers. `data` absent means "no content" (the HTTP API answers 204). */
export interface BindingInvokeResponse {
  readonly data?: Uint8Array | undefined;
  /** Sent back to the caller as `metadata.<key>` headers. */
  readonly metadata?: Readonly<Record<string, string>> | undefined;
  readonly contentType?: string | undefined;
}

/**
 * A failed call that still has response metadata to report (the HTTP binding's `statusCode` for a
 * non-2xx answer); daprd sends that metadata as headers beside the error.
 */
export class BindingInvokeError extends Error {
  constructor(message: string, readonly metadata: Readonly<Record<string, string>>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BindingInvokeError';
  }
}

/** A binding that the app calls through `POST /v1.0/bindings/{name}`. */
export interface OutputBinding extends Component {
  /** The operations `invoke` accepts; the runtime refuses others before calling the component. */
  operations(): readonly string[];
  /**
   * Runs one operation. Resolving `undefined` (or a response without data) means there is no content.
   * @throws BindingInvokeError to report a failure together with response metadata; any other error for a plain failure.
   */
  invoke(request: BindingInvokeRequest): Promise<BindingInvokeResponse | undefined>;
}

/** One event read from an external system, to be delivered to the app. */
export interface BindingEvent {
  /** The raw event bytes; delivered as the request body (empty for cron ticks). */
  readonly data: Uint8Array;
  /** Event metadata; delivered as request headers. */
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * Delivers one event to the app. Resolving means the app accepted it. Rejecting means it did not
 * (non-2xx answer, unreachable app, sidecar stopping): a binding whose source can redeliver should
 * retry with back-off; one that cannot (cron) logs the miss and goes on.
 */
export type BindingEventHandler = (event: BindingEvent) => Promise<void>;

/** A running read started by `InputBinding.read`. */
export interface BindingReader {
  /** Stops reading: no handler call starts after it resolves. Safe to call twice. */
  close(): Promise<void>;
}

/** A binding that triggers the app with events from outside (`POST /{name}` on the app). */
export interface InputBinding extends Component {
  /** Starts reading events and passing them to `handler` until the returned reader is closed. */
  read(handler: BindingEventHandler): Promise<BindingReader>;
}

export function isOutputBinding(component: Component): component is OutputBinding {
  const candidate = component as Partial<OutputBinding>;
  return typeof candidate.invoke === 'function' && typeof candidate.operations === 'function';
}

export function isInputBinding(component: Component): component is InputBinding {
  return typeof (component as Partial<InputBinding>).read === 'function';
}
