// Dapr bindings API over HTTP: https://docs.dapr.io/reference/api/bindings_api/
import { validateHeaderName, validateHeaderValue, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { daprError } from '@outrigger/kit';
import { OutputBindingError, type BindingsApi, type OutputBindingCall } from '../../blocks/bindings/bindings-api.js';
import { metadataHeaders, readJson, sendBytes, sendEmpty } from './http-io.js';
import type { RequestContext, RouteDefinition } from './route-types.js';

/** Request headers daprd copies into the binding's metadata so the call joins the caller's trace. */
const traceHeaders = ['traceparent', 'tracestate', 'baggage'] as const;

export function bindingsRoutes(bindings: BindingsApi): RouteDefinition[] {
  return [
    { methods: ['POST', 'PUT'], path: '/bindings/:name', versions: ['v1.0'], handler: (context) => invokeOutput(bindings, context) },
  ];
}

/**
 * `{data, metadata, operation}` in; 200 with the component's bytes, or 204 when it has none. Response
 * metadata comes back as `metadata.<key>` headers, on failures too (the HTTP binding's `statusCode`).
 */
async function invokeOutput(bindings: BindingsApi, context: RequestContext): Promise<void> {
  const name = context.params.name ?? '';
  const call = toCall(await readJson(context.req, context.maxBodyBytes), context.req.headers);
  let response;
  try {
    response = await bindings.invoke(name, call);
  } catch (error) {
    if (error instanceof OutputBindingError) setHeaders(context.res, responseHeaders(error.responseMetadata));
    throw error;
  }
  const headers = responseHeaders(response?.metadata);
  if (response?.data === undefined) sendEmpty(context.res, 204, headers);
  else sendBytes(context.res, 200, response.data, headers);
}

/**
 * Decodes the body as daprd's JSON decoder does: an object (or null) whose `operation` is a string and
 * whose `metadata` maps strings to strings; anything else is 400 ERR_MALFORMED_REQUEST. `data` may be
 * any JSON and reaches the component JSON-encoded (a missing `data` is `null`).
 */
function toCall(body: unknown, headers: IncomingHttpHeaders): OutputBindingCall {
  if (body === null) body = {};
  if (typeof body !== 'object' || Array.isArray(body)) throw daprError('malformedRequest', 'expected a JSON object {"operation", "data", "metadata"}');
  const fields = body as Record<string, unknown>;
  const operation = fields.operation ?? '';
  if (typeof operation !== 'string') throw daprError('malformedRequest', '"operation" must be a string');
  const metadata: Record<string, string> = {};
  const rawMetadata = fields.metadata ?? {};
  if (typeof rawMetadata !== 'object' || Array.isArray(rawMetadata)) throw daprError('malformedRequest', '"metadata" must be an object of strings');
  for (const [key, value] of Object.entries(rawMetadata as Record<string, unknown>)) {
    if (typeof value !== 'string') throw daprError('malformedRequest', `"metadata.${key}" must be a string`);
    metadata[key] = value;
  }
  for (const header of traceHeaders) {
    const value = headers[header];
    if (typeof value === 'string' && value !== '') metadata[header] = value;
  }
  return { operation, data: Buffer.from(JSON.stringify(fields.data ?? null), 'utf8'), metadata };
}

/** `metadata.<key>` headers, leaving out any that HTTP cannot carry rather than failing the answer. */
function responseHeaders(metadata: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadataHeaders(metadata))) {
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
      headers[name] = value;
    } catch {
      // A header that cannot be sent is dropped; the call's result matters more.
    }
  }
  return headers;
}

function setHeaders(res: ServerResponse, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
}
