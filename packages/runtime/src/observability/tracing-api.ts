// Spans for calls to the Dapr HTTP and gRPC APIs and for invocations arriving from other sidecars,
// named and attributed as daprd names them (its diagnostics package): the API span is a CLIENT span
// named after the path (gRPC: the full method), an invocation's is `CallLocal/{app}/{method}`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Interceptor } from '@connectrpc/connect';
import type { Attributes, Span } from '@opentelemetry/api';
import { SpanStatusCode } from '@opentelemetry/api';
import { SpanKind, contextOf, endWithHttpStatus, type SidecarTracing, type TraceCarrier } from './tracing.js';
import { pathOf } from '@outrigger/kit';
import { invocationParts } from '../api/http/invoke-routes.js';

/** Ends an HTTP API span once the answer is sent, given the status and the route template that matched. */
export type HttpCallFinisher = (status: number, template: string) => void;

/** The route template of requests no route matched: daprd's fallback is service invocation. */
const invocationTemplate = '/v1.0/invoke/{id}/method/{method}';

function isHealthz(path: string): boolean {
  return path.includes('/healthz');
}

/**
 * Starts the span of one HTTP API call and makes it the parent of everything the call does: the
 * request's `traceparent`/`tracestate` are replaced by the span's (read later by invocation, publish and
 * bindings), and the answer carries the span's `traceparent` unless the app's answer brings its own.
 * Health checks are not traced, as in daprd.
 */
export function traceHttpApiCall(tracing: SidecarTracing, req: IncomingMessage, res: ServerResponse): HttpCallFinisher | undefined {
  const url = req.url ?? '/';
  const path = pathOf(url);
  if (isHealthz(path)) return undefined;
  const span = tracing.start(path, SpanKind.CLIENT, req.headers, req.headers);
  res.setHeader('traceparent', contextOf(span).traceparent);
  return (status, template) => {
    if (span.isRecording()) {
      const { attributes, name } = httpApiAttributes(req, path, url, template, status);
      span.setAttributes(attributes);
      if (name !== undefined) span.updateName(name);
    }
    endWithHttpStatus(span, status);
  };
}

/** The span's attributes, and its name when the call's kind renames it (invocations: `CallLocal/...`). */
function httpApiAttributes(req: IncomingMessage, path: string, url: string, template: string, status: number): { attributes: Attributes; name?: string } {
  const method = req.method ?? 'GET';
  const attributes: Attributes = {
    ...userDefinedHeaders(req.headers),
    'dapr.protocol': 'http',
    'dapr.api': `${method} ${path}`,
    'dapr.status_code': String(status),
    'http.request.method': method,
    'url.full': url,
  };
  const [host, port] = String(req.headers.host ?? '').split(':');
  if (host) attributes['server.address'] = host;
  if (port) attributes['server.port'] = port;
  const segments = path.split('/');
  const block = segments[2];
  const name = segments[3] ?? '';
  if (template === invocationTemplate) {
    const parts = invocationParts(path);
    const appId = parts ? parts.target : String(req.headers['dapr-app-id'] ?? '');
    const invoked = parts ? parts.method?.slice(1) ?? '' : path.replace(/^\//, '');
    Object.assign(attributes, { 'rpc.service': 'ServiceInvocation', 'net.peer.name': appId, 'dapr.invoke_method': invoked });
    return { attributes, name: `CallLocal/${appId}/${invoked}` };
  } else if (block === 'state' || block === 'bindings' || block === 'secrets') {
    Object.assign(attributes, { 'db.system': block, 'db.connection_string': block, 'db.statement': `${method} ${path}`, 'db.name': name });
  } else if (block === 'publish') {
    const topic = (name === 'bulk' ? segments.slice(5) : segments.slice(4)).join('/');
    Object.assign(attributes, { 'messaging.system': 'pubsub', 'messaging.destination.name': topic });
  }
  return { attributes };
}

/** `dapr-` headers become span attributes, as daprd lets users add them; the API token never does. */
function userDefinedHeaders(headers: IncomingMessage['headers'] | Http2ServerRequest['headers']): Attributes {
  const attributes: Attributes = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('dapr-') && name !== 'dapr-api-token' && typeof value === 'string') attributes[name] = value;
  }
  return attributes;
}

/**
 * Starts the span of one gRPC API call (any service, proxied ones too), named by its full method; the
 * call's metadata gets the span's trace context before Connect reads it. Ends with the gRPC status.
 */
export function traceGrpcApiCall(tracing: SidecarTracing, req: Http2ServerRequest, res: Http2ServerResponse): void {
  traceGrpcCall(tracing, req, res, SpanKind.CLIENT);
}

/**
 * Starts the SERVER span of a proxied gRPC call arriving from another sidecar, named by its full method,
 * and makes it the parent the app sees (the call's metadata gets the span's trace context).
 */
export function traceProxiedGrpcCall(tracing: SidecarTracing, req: Http2ServerRequest, res: Http2ServerResponse): void {
  traceGrpcCall(tracing, req, res, SpanKind.SERVER);
}

function traceGrpcCall(tracing: SidecarTracing, req: Http2ServerRequest, res: Http2ServerResponse, kind: SpanKind): void {
  const method = pathOf(req.url);
  const span = tracing.start(method, kind, req.headers as TraceCarrier, req.headers as TraceCarrier, {
    'dapr.protocol': 'grpc', 'dapr.api': method, 'rpc.system': 'grpc', 'rpc.service': method.split('/')[1] ?? '',
  });
  const spanId = span.spanContext().spanId;
  if (span.isRecording()) openGrpcSpans.set(spanId, span);
  res.once('close', () => {
    openGrpcSpans.delete(spanId);
    const code = grpcStatus(res);
    if (span.isRecording()) {
      span.setAttributes({ ...userDefinedHeaders(req.headers), 'dapr.status_code': String(code) });
      if (code !== 0) span.setStatus({ code: SpanStatusCode.ERROR, message: `gRPC status ${code}` });
      else span.setStatus({ code: SpanStatusCode.OK });
    }
    span.end();
  });
}

/** gRPC API spans not ended yet, by span id, for {@link grpcSpanAttributes} to find from the call's traceparent. */
const openGrpcSpans = new Map<string, Span>();

/**
 * A Connect interceptor that adds what only the decoded request says to the call's span, as daprd's
 * AppendSpanAttributes do: the store, binding or topic, and for InvokeService the name
 * `CallLocal/{app}/{method}`. It finds the span by the call's `traceparent`, which is the span's own.
 */
export function grpcSpanAttributes(): Interceptor {
  return (next) => (request) => {
    if (!request.stream && openGrpcSpans.size > 0) {
      const span = openGrpcSpans.get(request.header.get('traceparent')?.split('-')[2] ?? '');
      if (span) describeGrpcCall(span, request.method.name, request.url.replace(/^[a-z]+:\/\/[^/]+/, ''), request.message as unknown as Readonly<Record<string, unknown>>);
    }
    return next(request);
  };
}

function describeGrpcCall(span: Span, name: string, rpcMethod: string, message: Readonly<Record<string, unknown>>): void {
  const text = (field: string): string => (typeof message[field] === 'string' ? message[field] : '');
  const store = (system: string, field: string): Attributes => ({
    'rpc.service': 'Dapr', 'db.system': system, 'db.name': text(field), 'db.statement': rpcMethod, 'db.connection_string': system,
  });
  switch (name) {
    case 'InvokeService': {
      const invoked = (message.message as { method?: unknown } | undefined)?.method;
      const method = typeof invoked === 'string' ? invoked : '';
      span.setAttributes({ 'rpc.service': 'ServiceInvocation', 'net.peer.name': text('id'), 'dapr.invoke_method': method });
      span.updateName(`CallLocal/${text('id')}/${method}`);
      return;
    }
    case 'PublishEvent': case 'BulkPublishEvent': case 'BulkPublishEventAlpha1':
      span.setAttributes({ 'rpc.service': 'Dapr', 'messaging.system': 'pubsub', 'messaging.destination.name': text('topic') });
      return;
    case 'InvokeBinding':
      span.setAttributes(store('bindings', 'name'));
      return;
    case 'GetState': case 'SaveState': case 'DeleteState':
      span.setAttributes(store('state', 'storeName'));
      return;
    case 'GetSecret':
      span.setAttributes(store('secrets', 'storeName'));
      return;
    default:
  }
}

/** The call's gRPC status from the trailers (or a trailers-only answer's headers); 2 UNKNOWN when none was sent. */
function grpcStatus(res: Http2ServerResponse): number {
  const stream = res.stream as typeof res.stream & { sentTrailers?: Record<string, unknown>; sentHeaders?: Record<string, unknown> };
  const status = stream.sentTrailers?.['grpc-status'] ?? stream.sentHeaders?.['grpc-status'];
  return status === undefined ? 2 : Number(status);
}

/**
 * Starts the SERVER span of an invocation arriving from another sidecar, `CallLocal/{this app}/{method}`,
 * and makes it the parent the app sees (the request's trace context is replaced before it is forwarded).
 */
export function traceInternalInvocation(tracing: SidecarTracing, req: IncomingMessage, res: ServerResponse, appId: string): void {
  const end = startCallLocalSpan(tracing, req.url ?? '/', req.headers, appId);
  res.once('close', () => end(res.writableFinished ? res.statusCode : 500));
}

/** {@link traceInternalInvocation} for a call that came over the framed protocol; returns what ends the span. */
export function traceFramedInvocation(tracing: SidecarTracing, request: { readonly pathAndQuery: string; readonly headers: TraceCarrier }, appId: string): (status: number) => void {
  return startCallLocalSpan(tracing, request.pathAndQuery, request.headers, appId);
}

function startCallLocalSpan(tracing: SidecarTracing, url: string, headers: TraceCarrier, appId: string): (status: number) => void {
  const invoked = pathOf(url).replace(/^\//, '');
  const span: Span = tracing.start(`CallLocal/${appId}/${invoked}`, SpanKind.SERVER, headers, headers, {
    'rpc.service': 'ServiceInvocation', 'dapr.invoke_method': invoked, 'dapr.protocol': 'http', 'net.peer.name': String(headers['dapr-caller-app-id'] ?? ''),
  });
  return (status) => {
    if (span.isRecording()) span.setAttribute('dapr.status_code', String(status));
    endWithHttpStatus(span, status);
  };
}
