// Helpers for gRPC tests: a Connect client of the Dapr service, waiting for the gRPC port, and
// reading Dapr's rich error details (google.rpc.Status / ErrorInfo) from `grpc-status-details-bin`
// with a generic protobuf wire reader, independent of the sidecar's encoder.
import { create, toBinary, type DescMethod } from '@bufbuild/protobuf';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import * as grpc from '@grpc/grpc-js';
import { ConnectError, createClient, type Client, type Interceptor } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { Dapr } from '@dapr/dapr/proto/dapr/proto/runtime/v1/dapr_pb.js';
import { waitFor } from '@outrigger/kit';
import type { SidecarHandle } from './sidecars.js';

export type DaprGrpcClient = Client<typeof Dapr>;
export type DaprMethodName = keyof typeof Dapr.method;

/** A Connect gRPC client of `dapr.proto.runtime.v1.Dapr` (the transport @dapr/dapr 3.18 uses). */
export function daprGrpcClient(port: number, apiToken?: string): DaprGrpcClient {
  const interceptors: Interceptor[] = apiToken === undefined ? [] : [(next) => (request) => {
    request.header.set('dapr-api-token', apiToken);
    return next(request);
  }];
  return createClient(Dapr, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}`, interceptors }));
}

/** Waits until the sidecar's gRPC API answers GetMetadata, as the SDKs' own readiness check does. */
export async function waitForGrpcApi(sidecar: SidecarHandle, apiToken?: string, timeoutMs = 20_000): Promise<void> {
  const client = daprGrpcClient(sidecar.grpcPort, apiToken);
  await waitFor(`the gRPC API on port ${sidecar.grpcPort}`, async () => {
    if (!sidecar.process.running) throw new Error(`the sidecar exited early:\n${sidecar.process.output}`);
    try {
      await client.getMetadata({});
      return true;
    } catch {
      return false;
    }
  }, timeoutMs);
}

export interface DecodedErrorInfo {
  readonly reason: string;
  readonly domain: string;
  readonly metadata: Record<string, string>;
}

export interface RichStatus {
  readonly code: number;
  readonly message: string;
  /** The message as the client library read it from `grpc-message`. */
  readonly headerMessage?: string;
  readonly errorInfo: DecodedErrorInfo | undefined;
}

function readErrorInfo(bytes: Uint8Array): DecodedErrorInfo {
  const reader = new BinaryReader(bytes);
  const info = { reason: '', domain: '', metadata: {} as Record<string, string> };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1) info.reason = reader.string();
    else if (field === 2) info.domain = reader.string();
    else if (field === 3) {
      const entry = new BinaryReader(reader.bytes());
      let key = '';
      let value = '';
      while (entry.pos < entry.len) {
        const [entryField, entryType] = entry.tag();
        if (entryField === 1) key = entry.string();
        else if (entryField === 2) value = entry.string();
        else entry.skip(entryType);
      }
      info.metadata[key] = value;
    } else reader.skip(wireType);
  }
  return info;
}

/** Decodes a google.rpc.Status (the value of `grpc-status-details-bin`) and its ErrorInfo detail. */
export function decodeStatusDetails(bytes: Uint8Array): RichStatus {
  const reader = new BinaryReader(bytes);
  let code = 0;
  let message = '';
  let errorInfo: DecodedErrorInfo | undefined;
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.Varint) code = reader.int32();
    else if (field === 2) message = reader.string();
    else if (field === 3) {
      const any = new BinaryReader(reader.bytes());
      let typeUrl = '';
      let value: Uint8Array = new Uint8Array();
      while (any.pos < any.len) {
        const [anyField, anyType] = any.tag();
        if (anyField === 1) typeUrl = any.string();
        else if (anyField === 2) value = any.bytes();
        else any.skip(anyType);
      }
      if (typeUrl === 'type.googleapis.com/google.rpc.ErrorInfo') errorInfo = readErrorInfo(value);
    } else reader.skip(wireType);
  }
  return { code, message, errorInfo };
}

/** Makes a call that must fail and reads its gRPC status with `read`; a call that succeeds fails the test. */
export async function failureOf(call: () => Promise<unknown>, read: (error: unknown) => RichStatus): Promise<RichStatus> {
  try {
    await call();
  } catch (error) {
    return read(error);
  }
  throw new Error('the call succeeded');
}

/** The gRPC status of a failed call made by a Connect client (@dapr/dapr 3.18), from the raw trailer. */
export function statusOfConnectError(error: unknown): RichStatus {
  if (!(error instanceof ConnectError)) throw new Error(`expected a ConnectError, got ${String(error)}`);
  const raw = error.metadata.get('grpc-status-details-bin');
  if (raw === null) return { code: error.code, message: error.rawMessage, errorInfo: undefined };
  const status = decodeStatusDetails(Buffer.from(raw, 'base64'));
  return { ...status, code: error.code, headerMessage: error.rawMessage };
}

/** The gRPC status of a failed call made by a grpc-js client (@dapr/dapr 3.6.1), from the raw trailer. */
export function statusOfGrpcJsError(error: unknown): RichStatus {
  const failure = error as { code?: number; details?: string; metadata?: { get(key: string): (string | Buffer)[] } };
  if (typeof failure?.code !== 'number' || !failure.metadata) throw new Error(`expected a grpc-js ServiceError, got ${String(error)}`);
  const [raw] = failure.metadata.get('grpc-status-details-bin');
  if (raw === undefined) return { code: failure.code, message: failure.details ?? '', errorInfo: undefined };
  const status = decodeStatusDetails(typeof raw === 'string' ? Buffer.from(raw, 'base64') : raw);
  return { ...status, code: failure.code, headerMessage: failure.details };
}

/** Calls a unary Dapr method with grpc-js (`application/grpc`), the request encoded from the same descriptor. */
export function grpcJsUnary(port: number, methodName: DaprMethodName, init: Record<string, unknown>, metadata = new grpc.Metadata()): Promise<Buffer> {
  const method = Dapr.method[methodName] as DescMethod;
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const bytes = Buffer.from(toBinary(method.input, create(method.input, init as never)));
  return new Promise<Buffer>((resolve, reject) => {
    client.makeUnaryRequest(`/${Dapr.typeName}/${method.name}`, (value: Buffer) => value, (value: Buffer) => value, bytes, metadata, (error, answer) => {
      client.close();
      if (error) reject(error);
      else resolve(answer ?? Buffer.alloc(0));
    });
  });
}
