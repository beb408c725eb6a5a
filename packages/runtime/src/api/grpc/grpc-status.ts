import { constants, type Http2ServerResponse } from 'node:http2';

// gRPC statuses written without Connect. The gRPC API's front, the proxy and the internal server load at
// start-up, while Connect and @bufbuild/protobuf load on the first Dapr call (grpc-api-server.ts): so
// what they need to answer a call with a status lives here, with no imports beyond node's.

/** The gRPC status codes these answers use (the numbers are fixed by the gRPC spec). */
export const GrpcCode = {
  Unknown: 2,
  InvalidArgument: 3,
  PermissionDenied: 7,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  Unauthenticated: 16,
} as const;

/**
 * A `grpc-message` value as the gRPC spec encodes it: UTF-8 bytes outside printable ASCII, and `%`,
 * percent-encoded; everything else as is. grpc-js decodes with `decodeURI`, which leaves `%3A` or `%2C`
 * alone, so the `encodeURIComponent` form Connect writes would reach grpc-js clients garbled.
 */
export function encodeGrpcMessage(message: string): string {
  let encoded = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    encoded += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** Re-encodes a `grpc-message` header or trailer written with `encodeURIComponent` in the spec's form. */
export function respecGrpcMessage<T extends Record<string, unknown>>(headers: T): T {
  const value = headers['grpc-message'];
  if (typeof value !== 'string') return headers;
  let text = value;
  try {
    text = decodeURIComponent(value);
  } catch {
    // Not percent-encoded text: encode it as it is.
  }
  return { ...headers, 'grpc-message': encodeGrpcMessage(text) };
}

/**
 * Answers a call with a trailers-only gRPC response: HTTP 200, `grpc-status`, `grpc-message` and, when
 * given, `grpc-status-details-bin` (a google.rpc.Status, unpadded base64), as gRPC servers do before any message.
 */
export function writeGrpcStatus(res: Http2ServerResponse, code: number, message: string, statusDetails?: string): void {
  const headers: Record<string, string> = {
    'content-type': 'application/grpc',
    'grpc-status': String(code),
    'grpc-message': encodeGrpcMessage(message),
  };
  if (statusDetails) headers['grpc-status-details-bin'] = statusDetails;
  res.stream.respond({ ':status': 200, ...headers }, { endStream: true });
}

/** Answers with a status unless an answer has begun already (then the stream is reset instead). */
export function failGrpcCall(res: Http2ServerResponse, code: number, message: string): void {
  if (res.stream.closed || res.stream.destroyed) return;
  if (res.stream.headersSent) res.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  else writeGrpcStatus(res, code, message);
}
