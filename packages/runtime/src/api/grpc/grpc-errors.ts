import { STATUS_CODES } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { ConnectError, type Code } from '@connectrpc/connect';
import { daprError, errorCatalogue, isDaprError, type DaprError, type ErrorKind } from '@outrigger/kit';
import { writeGrpcStatus } from './grpc-status.js';

/** The `domain` of every ErrorInfo Dapr sends. */
export const errorInfoDomain = 'dapr.io';

/** google.rpc.ErrorInfo, the rich-error detail Dapr attaches to its gRPC errors. */
export interface ErrorInfo {
  readonly reason: string;
  readonly domain: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * Encodes a google.rpc.ErrorInfo (reason = 1, domain = 2, map<string,string> metadata = 3). Three
 * scalar fields do not justify a generated module from googleapis; the field numbers are fixed by
 * the published error_details.proto.
 */
export function encodeErrorInfo(info: ErrorInfo): Uint8Array {
  const writer = new BinaryWriter();
  writer.tag(1, WireType.LengthDelimited).string(info.reason);
  writer.tag(2, WireType.LengthDelimited).string(info.domain);
  for (const [key, value] of Object.entries(info.metadata)) {
    writer.tag(3, WireType.LengthDelimited).fork()
      .tag(1, WireType.LengthDelimited).string(key)
      .tag(2, WireType.LengthDelimited).string(value)
      .join();
  }
  return writer.finish();
}

/** A ConnectError with the ErrorInfo detail that Connect writes into `grpc-status-details-bin`. */
export function connectErrorWithInfo(message: string, code: number, info: ErrorInfo, cause?: unknown): ConnectError {
  const error = new ConnectError(message, code as Code, undefined, undefined, cause);
  error.details.push({ type: 'google.rpc.ErrorInfo', value: encodeErrorInfo(info) });
  return error;
}

/**
 * A DaprError as gRPC sends it: the catalogue's gRPC status and message, and an ErrorInfo whose reason
 * is the catalogue's rich-error reason, else the ERR_* code, so clients can always match on it.
 */
export function fromDaprError(error: DaprError): ConnectError {
  return connectErrorWithInfo(error.message, error.grpcStatus, {
    reason: error.reason ?? error.errorCode, domain: errorInfoDomain, metadata: error.infoMetadata ?? {},
  }, error);
}

/** Any thrown value as a ConnectError; anything that is not a Dapr or Connect error is ERR_INTERNAL. */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (isDaprError(error)) return fromDaprError(error);
  return fromDaprError(daprError('internal', error instanceof Error ? error.message : String(error)));
}

/**
 * The error daprd sends for a refused API token: the gRPC status of the catalogue entry, the HTTP
 * status text as message and reason, and the detail in `http.code` / `http.error_message`.
 */
export function unauthenticated(kind: Extract<ErrorKind, 'apiTokenMissing' | 'apiTokenInvalid'>): ConnectError {
  const entry = errorCatalogue[kind];
  const text = STATUS_CODES[entry.httpStatus] ?? 'Unauthorized';
  return connectErrorWithInfo(text, entry.grpcStatus, {
    reason: entry.reason ?? text, domain: errorInfoDomain,
    metadata: { 'http.code': String(entry.httpStatus), 'http.error_message': entry.message },
  });
}

/**
 * Answers a call with a trailers-only gRPC response carrying the error's status, message and, when it has
 * details, `grpc-status-details-bin` (a google.rpc.Status).
 */
export function writeGrpcError(res: Http2ServerResponse, error: ConnectError): void {
  writeGrpcStatus(res, error.code, error.rawMessage, encodeStatusDetails(error));
}

/** google.rpc.Status (code = 1, message = 2, repeated Any details = 3) in unpadded base64, or undefined without details. */
function encodeStatusDetails(error: ConnectError): string | undefined {
  const details = error.details.filter((detail): detail is { type: string; value: Uint8Array } => 'type' in detail);
  if (details.length === 0) return undefined;
  const writer = new BinaryWriter();
  writer.tag(1, WireType.Varint).int32(error.code);
  writer.tag(2, WireType.LengthDelimited).string(error.rawMessage);
  for (const detail of details) {
    writer.tag(3, WireType.LengthDelimited).fork()
      .tag(1, WireType.LengthDelimited).string(`type.googleapis.com/${detail.type}`)
      .tag(2, WireType.LengthDelimited).bytes(detail.value)
      .join();
  }
  return Buffer.from(writer.finish()).toString('base64').replace(/=+$/, '');
}
