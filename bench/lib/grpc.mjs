// A minimal gRPC load client: grpc-js with byte-for-byte serializers, and the few Dapr protobuf
// messages the scenarios send, encoded once by hand (field numbers from dapr/proto/runtime/v1 and
// common/v1), so the client spends no time on protobuf per call.
import * as grpc from '@grpc/grpc-js';

const identity = (bytes) => bytes;

function varint(value) {
  const bytes = [];
  while (value > 0x7f) { bytes.push((value & 0x7f) | 0x80); value >>>= 7; }
  bytes.push(value);
  return Buffer.from(bytes);
}

/** A length-delimited field (string, bytes or an embedded message). */
export function field(number, value) {
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8');
  return Buffer.concat([varint((number << 3) | 2), varint(bytes.length), bytes]);
}

export function varintField(number, value) {
  return Buffer.concat([varint(number << 3), varint(value)]);
}

const VERB_POST = 3;

/** dapr.proto.runtime.v1.InvokeServiceRequest for a POST of `body` to `method` on app `id`. */
export function invokeServiceRequest(id, method, body, contentType = 'application/octet-stream') {
  const any = field(2, body);
  const invokeRequest = Buffer.concat([field(1, method), field(2, any), field(3, contentType), field(4, varintField(1, VERB_POST))]);
  return Buffer.concat([field(1, id), field(3, invokeRequest)]);
}

export function getStateRequest(store, key) {
  return Buffer.concat([field(1, store), field(2, key)]);
}

export function saveStateRequest(store, key, value) {
  return Buffer.concat([field(1, store), field(2, Buffer.concat([field(1, key), field(2, value)]))]);
}

export function publishEventRequest(pubsub, topic, data, contentType = 'application/json') {
  return Buffer.concat([field(1, pubsub), field(2, topic), field(3, data), field(4, contentType)]);
}

/** A grpc-js client on one channel; `unary(path, bytes, metadata?)` resolves with the answer's bytes. */
export function grpcClient(port) {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const unary = (path, bytes, metadata) => new Promise((resolveCall, reject) => {
    const meta = new grpc.Metadata();
    for (const [key, value] of Object.entries(metadata ?? {})) meta.set(key, value);
    client.makeUnaryRequest(path, identity, identity, bytes, meta, (error, answer) => (error ? reject(error) : resolveCall(answer)));
  });
  return { unary, close: () => client.close() };
}

/** Waits until the channel is ready. */
export function waitForGrpc(port, timeoutMs = 20_000) {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise((resolveReady, reject) => client.waitForReady(Date.now() + timeoutMs, (error) => {
    client.close();
    if (error) reject(error); else resolveReady();
  }));
}
