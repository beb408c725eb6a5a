import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import type { DescMethod, DescService } from '@bufbuild/protobuf';
import { createContextValues, type ContextValues, type HandlerContext } from '@connectrpc/connect';
import { getAbortSignalReason } from '@connectrpc/connect/protocol';

/**
 * The HandlerContext of a unary call served below Connect (unary-calls.ts). Connect builds three Headers
 * objects, two linked AbortControllers and a deadline controller for every call, and aborts them all when
 * the call ends (each abort makes a DOMException with its stack): that was a large share of a GetState's
 * cost. Here each piece is made when a method or an interceptor first asks for it, which most unary
 * methods never do; the signal is aborted only for a real reason (deadline, client gone, shutdown).
 *
 * It is a class with accessors: pass it as it is; a copy made by spreading would lose them.
 */
export class UnaryCallContext implements HandlerContext {
  readonly requestMethod = 'POST';
  readonly protocolName = 'grpc';
  private controller: AbortController | undefined;
  private abortReason: unknown;
  private ended = false;
  private requestHeaders: Headers | undefined;
  private responseHeaders: Headers | undefined;
  private responseTrailers: Headers | undefined;
  private contextValues: ContextValues | undefined;

  constructor(
    readonly method: DescMethod,
    readonly url: string,
    private readonly nodeHeaders: IncomingHttpHeaders,
    private readonly deadline: number | undefined,
    private readonly shutdownSignal: AbortSignal,
  ) {}

  get service(): DescService {
    return this.method.parent;
  }

  readonly timeoutMs = (): number | undefined => (this.deadline === undefined ? undefined : this.deadline - Date.now());

  get signal(): AbortSignal {
    if (this.controller) return this.controller.signal;
    const controller = new AbortController();
    this.controller = controller;
    if (this.abortReason !== undefined) {
      controller.abort(this.abortReason);
    } else if (!this.ended) {
      if (this.shutdownSignal.aborted) this.abort(getAbortSignalReason(this.shutdownSignal));
      else this.shutdownSignal.addEventListener('abort', this.onShutdown, { once: true });
    }
    return controller.signal;
  }

  get requestHeader(): Headers {
    return (this.requestHeaders ??= webHeaders(this.nodeHeaders));
  }

  get responseHeader(): Headers {
    return (this.responseHeaders ??= new Headers());
  }

  get responseTrailer(): Headers {
    return (this.responseTrailers ??= new Headers());
  }

  get values(): ContextValues {
    return (this.contextValues ??= createContextValues());
  }

  /** The response metadata the method set, if it set any: headers, then trailers. */
  get headersSet(): Headers | undefined {
    return this.responseHeaders;
  }

  get trailersSet(): Headers | undefined {
    return this.responseTrailers;
  }

  /** Whether the call has been answered (or is gone). */
  get answered(): boolean {
    return this.ended;
  }

  /** Why the call was aborted (deadline, client gone, shutdown), or undefined while it is not. */
  get aborted(): unknown {
    return this.abortReason;
  }

  abort(reason: unknown): void {
    if (this.abortReason !== undefined || this.ended) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
    this.release();
  }

  /** The call is over (answered or gone): nothing may abort it any more. */
  end(): void {
    this.ended = true;
    this.release();
  }

  private readonly onShutdown = (): void => this.abort(getAbortSignalReason(this.shutdownSignal));

  private release(): void {
    if (this.controller) this.shutdownSignal.removeEventListener('abort', this.onShutdown);
  }
}

/** Node's request headers as fetch Headers, without HTTP/2 pseudo-headers (as Connect's node adapter gives them). */
export function webHeaders(nodeHeaders: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(nodeHeaders)) {
    if (name.startsWith(':') || value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.append(name, String(value));
  }
  return headers;
}

/** Adds fetch Headers to a node header object; repeated names become arrays (`set-cookie` stays one list). */
export function addNodeHeaders(target: OutgoingHttpHeaders, headers: Headers | undefined): OutgoingHttpHeaders {
  headers?.forEach((value, name) => {
    const present = target[name];
    if (present === undefined) target[name] = value;
    else target[name] = Array.isArray(present) ? [...present, value] : [String(present), value];
  });
  return target;
}
