import type { BindingEvent } from '@outrigger/components-api';
import { metadataAsHeaders } from '../blocks/pubsub/delivery.js';

/** Longest part of an app's error body quoted in a log line. */
const maxQuotedBody = 512;
/** Headers the connection owns: event metadata may not set them. */
const connectionHeaders = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'keep-alive', 'upgrade', 'te', 'trailer']);

/** Event metadata as request headers (names and values HTTP cannot carry are left out), sent as JSON as daprd does. */
export function bindingEventHeaders(event: BindingEvent): Record<string, string> {
  const headers = metadataAsHeaders(event.metadata);
  for (const name of Object.keys(headers)) if (connectionHeaders.has(name)) delete headers[name];
  return { ...headers, 'content-type': 'application/json' };
}

/** The error a refused binding event rejects with, in daprd's words, quoting the start of the app's answer. */
export function bindingRefusal(status: number, body: Buffer): Error {
  const quoted = body.subarray(0, maxQuotedBody).toString('utf8');
  return new Error(`fails to send binding event to http app channel, status code: ${status} body: ${quoted}`);
}
