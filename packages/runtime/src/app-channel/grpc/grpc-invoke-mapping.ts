import { posix } from 'node:path';
import { Code, type ConnectError } from '@connectrpc/connect';
import { HTTPExtension_Verb, type InvokeResponse } from '@dapr/dapr/proto/dapr/proto/common/v1/common_pb.js';
import type { CallerIdentity } from '../app-channel.js';

/** daprd's list of IANA permanent request headers: sent to a gRPC app as `dapr-<name>` metadata. */
const permanentHeaders = new Set([
  'accept', 'accept-charset', 'accept-language', 'accept-ranges', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding',
  'upgrade', 'cache-control', 'content-type', 'content-length', 'cookie', 'date', 'expect', 'from', 'host', 'if-match',
  'if-modified-since', 'if-none-match', 'if-schedule-tag-match', 'if-unmodified-since', 'max-forwards', 'origin', 'pragma',
  'referer', 'via', 'warning',
]);
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings', 'te', 'trailer', 'proxy-authorization', 'proxy-authenticate']);
const metadataKey = /^[0-9a-z_.-]+$/;
const metadataValue = /^[\x20-\x7e]*$/;
const base64Value = /^[A-Za-z0-9+/]*={0,2}$/;

/** The verb enum of `HTTPExtension`; a verb the enum lacks becomes POST, as in daprd. */
export function verbOf(verb: string): HTTPExtension_Verb {
  const value = (HTTPExtension_Verb as unknown as Record<string, number | undefined>)[verb.toUpperCase()];
  return typeof value === 'number' ? value : HTTPExtension_Verb.POST;
}

/**
 * The `InvokeRequest.method` daprd sends for an HTTP invocation: the percent-decoded path, cleaned as
 * Go's `path.Clean` does, without leading or trailing slash.
 */
export function methodOf(path: string): string {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // Not valid percent-encoding: the method is the path as it came.
  }
  const cleaned = posix.normalize(decoded.replace(/^\/+/, '')).replace(/\/+$/, '');
  return cleaned === '.' ? '' : cleaned;
}

/**
 * HTTP request headers as the gRPC metadata daprd sends the app: permanent HTTP headers get a `dapr-`
 * prefix, the caller's identity is added, and what HTTP/2 metadata cannot carry is left out
 * (invalid names or values, hop-by-hop and `grpc-` headers, which belong to the sidecar's own call).
 */
export function invokeMetadata(headers: Readonly<Record<string, string | string[]>>, identity: CallerIdentity | undefined): Headers {
  const metadata = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'destination-app-id' || lower.startsWith('grpc-') || lower === 'te' || lower.startsWith(':')) continue;
    const key = permanentHeaders.has(lower) ? `dapr-${lower}` : lower;
    if (!metadataKey.test(key)) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      if (key.endsWith('-bin') ? base64Value.test(item) : metadataValue.test(item)) metadata.append(key, item);
    }
  }
  if (identity) {
    metadata.set('dapr-caller-app-id', identity.callerAppId);
    metadata.set('dapr-callee-app-id', identity.calleeAppId);
    if (identity.callerNamespace !== '') metadata.set('dapr-caller-namespace', identity.callerNamespace);
  }
  return metadata;
}

/**
 * String metadata (broker or binding metadata) as gRPC metadata: names in lower case; content type and
 * length are left out, as daprd does, and so is what metadata cannot carry.
 */
export function customMetadata(values: Readonly<Record<string, string>> | undefined): Headers {
  const metadata = new Headers();
  for (const [name, value] of Object.entries(values ?? {})) {
    const key = name.toLowerCase();
    if (key === 'content-type' || key === 'content-length' || key.startsWith('grpc-') || !metadataKey.test(key) || key.endsWith('-bin')) continue;
    if (metadataValue.test(value)) metadata.append(key, value);
  }
  return metadata;
}

/** The app's response metadata as HTTP response headers, as daprd writes them: `grpc-*` becomes `dapr-grpc-*`. */
export function responseHeaders(metadata: Headers): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  metadata.forEach((value, name) => {
    if (name.endsWith('-bin') || name === 'content-type' || name === 'content-length' || hopByHop.has(name)) return;
    headers[name.startsWith('grpc-') ? `dapr-${name}` : name] = value;
  });
  return headers;
}

/** What an HTTP caller gets for an `InvokeResponse`: 200, its content type (protobuf when the data has a type URL), its bytes. */
export function successAnswer(response: InvokeResponse, metadata: Headers): { status: number; headers: Record<string, string | string[]>; body: Buffer } {
  const headers = responseHeaders(metadata);
  const contentType = response.data?.typeUrl ? 'application/x-protobuf' : response.contentType;
  if (contentType !== '') headers['content-type'] = contentType;
  return { status: 200, headers, body: Buffer.from(response.data?.value ?? new Uint8Array()) };
}

/**
 * What an HTTP caller gets when the app answers with a gRPC error: the status mapped as daprd maps it
 * (grpc-gateway's table) and the status as JSON, `{"code":…,"message":…}`, with the content type Go's
 * server guesses for it.
 */
export function errorAnswer(error: ConnectError): { status: number; headers: Record<string, string>; body: Buffer } {
  const status: { code: number; message?: string } = { code: error.code };
  if (error.rawMessage !== '') status.message = error.rawMessage;
  return { status: httpStatusOf(error.code), headers: { 'content-type': 'text/plain; charset=utf-8' }, body: Buffer.from(JSON.stringify(status)) };
}

/** gRPC status code → HTTP status, as daprd's `HTTPStatusFromCode`. */
export function httpStatusOf(code: Code): number {
  switch (code) {
    case Code.Canceled: return 408;
    case Code.InvalidArgument: return 400;
    case Code.DeadlineExceeded: return 504;
    case Code.NotFound: return 404;
    case Code.AlreadyExists: return 409;
    case Code.PermissionDenied: return 403;
    case Code.Unauthenticated: return 401;
    case Code.ResourceExhausted: return 429;
    case Code.FailedPrecondition: return 400;
    case Code.Aborted: return 409;
    case Code.OutOfRange: return 400;
    case Code.Unimplemented: return 501;
    case Code.Unavailable: return 503;
    default: return 500;
  }
}
