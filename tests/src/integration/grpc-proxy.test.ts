// gRPC proxying: a plain grpc-js client calls its own sidecar's gRPC port with `dapr-app-id` metadata
// for a service the sidecar does not know; the call goes to the other app's sidecar and on to that
// app's gRPC server (here a grpc-js server in this process, defined without protos), and back:
// unary, server-streaming and bidirectional calls, metadata, trailers and error statuses.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { waitFor } from '@outrigger/kit';
import { freePort, writeFile } from '../harness/processes.js';
import { inMemoryPubSubYaml, startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

const raw = { serialize: (value: Buffer): Buffer => value, deserialize: (bytes: Buffer): Buffer => bytes };
function method(name: string, requestStream: boolean, responseStream: boolean): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path: `/test.proxy.Echo/${name}`, requestStream, responseStream,
    requestSerialize: raw.serialize, requestDeserialize: raw.deserialize, responseSerialize: raw.serialize, responseDeserialize: raw.deserialize,
  };
}
const echoService = { Say: method('Say', false, false), Count: method('Count', false, true), Chat: method('Chat', true, true), Fail: method('Fail', false, false), Hold: method('Hold', false, true) };
const EchoClient = grpc.makeGenericClientConstructor(echoService, 'Echo');
type Echo = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

function text(metadata: grpc.Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return value === undefined ? undefined : String(value);
}

/** What the app saw of the call's metadata, sent back as response headers. */
function seen(metadata: grpc.Metadata): grpc.Metadata {
  const answer = new grpc.Metadata();
  answer.set('x-caller', text(metadata, 'dapr-caller-app-id') ?? '-');
  answer.set('x-traceparent', text(metadata, 'traceparent') ?? '-');
  answer.set('x-custom', text(metadata, 'x-custom') ?? '-');
  answer.set('x-api-token', text(metadata, 'dapr-api-token') ?? '-');
  return answer;
}

/** Calls to Hold the app saw cancelled, by request text. */
const cancelledHolds = new Set<string>();

function startEchoApp(port: number): Promise<grpc.Server> {
  const server = new grpc.Server();
  server.addService(echoService, {
    Say: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      call.sendMetadata(seen(call.metadata));
      const trailer = new grpc.Metadata();
      trailer.set('x-trailer', 'said');
      callback(null, Buffer.concat([Buffer.from('echo:'), call.request]), trailer);
    },
    Count: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      const count = Number(call.request.toString());
      for (let index = 1; index <= count; index++) call.write(Buffer.from(`n${index}`));
      const trailer = new grpc.Metadata();
      trailer.set('x-counted', String(count));
      call.end(trailer);
    },
    Chat: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on('data', (chunk: Buffer) => call.write(Buffer.from(chunk.toString().toUpperCase())));
      call.on('end', () => call.end());
    },
    Hold: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      // One message, then the stream stays open until the caller gives up.
      call.write(Buffer.from('held'));
      call.on('cancelled', () => cancelledHolds.add(call.request.toString()));
    },
    Fail: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      const metadata = new grpc.Metadata();
      metadata.set('x-why', 'because');
      callback({ code: grpc.status.FAILED_PRECONDITION, details: 'not today', metadata });
    },
  });
  return new Promise((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error) => {
    if (error) reject(error);
    else resolve(server);
  }));
}

/** The caller's sidecar guards its API with DAPR_API_TOKEN; the token must stop there. */
const callerToken = 'caller-secret';

function metadataFor(appId: string | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (appId !== undefined) metadata.set('dapr-app-id', appId);
  metadata.set('x-custom', 'kept');
  metadata.set('dapr-api-token', callerToken);
  metadata.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  return metadata;
}

interface UnaryResult { value?: Buffer; error?: grpc.ServiceError; headers?: grpc.Metadata; status?: grpc.StatusObject }

function unary(client: Echo, name: string, request: Buffer, metadata: grpc.Metadata): Promise<UnaryResult> {
  return new Promise((resolve) => {
    const result: UnaryResult = {};
    let pending = 2;
    const done = (): void => {
      if (--pending === 0) resolve(result);
    };
    const call = client[name]?.(request, metadata, (error: grpc.ServiceError | null, value?: Buffer) => {
      if (error) result.error = error;
      if (value) result.value = value;
      done();
    }) as grpc.ClientUnaryCall;
    call.on('metadata', (headers: grpc.Metadata) => { result.headers = headers; });
    call.on('status', (status: grpc.StatusObject) => {
      result.status = status;
      done();
    });
  });
}

describe('gRPC proxying', () => {
  const dir = tempDir();
  const home = join(dir.path, 'home');
  let server: grpc.Server;
  let app: SidecarHandle;
  let caller: SidecarHandle;
  let viaCaller: Echo;

  before(async () => {
    const resources = join(dir.path, 'resources');
    writeFile(join(resources, 'pubsub.yaml'), inMemoryPubSubYaml());
    const appPort = await freePort();
    server = await startEchoApp(appPort);
    [app, caller] = await Promise.all([
      startRun({ appId: 'echoapp', resourcesPath: resources, home, appPort, waitForApp: true, extraFlags: ['--app-protocol', 'grpc'], env: { APP_API_TOKEN: 'app-secret' } }),
      startRun({ appId: 'proxycaller', resourcesPath: resources, home, env: { DAPR_API_TOKEN: callerToken } }),
    ]);
    viaCaller = new EchoClient(`127.0.0.1:${caller.grpcPort}`, grpc.credentials.createInsecure()) as unknown as Echo;
  });

  after(async () => {
    viaCaller?.close();
    await Promise.all([app?.stop(), caller?.stop()]);
    await new Promise<void>((resolve) => (server ? server.tryShutdown(() => resolve()) : resolve()));
    dir.cleanup();
  });

  it('passes a unary call through both sidecars with its metadata, the answer\'s headers and trailers', async () => {
    const result = await unary(viaCaller, 'Say', Buffer.from('hi'), metadataFor('echoapp'));
    assert.equal(result.error, undefined);
    assert.equal(result.value?.toString(), 'echo:hi');
    assert.equal(text(result.headers ?? new grpc.Metadata(), 'x-caller'), 'proxycaller');
    assert.equal(text(result.headers ?? new grpc.Metadata(), 'x-custom'), 'kept');
    assert.equal(text(result.headers ?? new grpc.Metadata(), 'x-traceparent'), '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    // The caller's API token stops at its sidecar; the callee's sidecar authenticates itself to its app with APP_API_TOKEN.
    assert.equal(text(result.headers ?? new grpc.Metadata(), 'x-api-token'), 'app-secret');
    assert.equal(result.status?.code, grpc.status.OK);
    assert.equal(text(result.status?.metadata ?? new grpc.Metadata(), 'x-trailer'), 'said');
  });

  it('passes a call for the sidecar\'s own app id straight to its app', async () => {
    const local = new EchoClient(`127.0.0.1:${app.grpcPort}`, grpc.credentials.createInsecure()) as unknown as Echo;
    try {
      const result = await unary(local, 'Say', Buffer.from('near'), metadataFor('echoapp'));
      assert.equal(result.value?.toString(), 'echo:near');
      assert.equal(text(result.headers ?? new grpc.Metadata(), 'x-caller'), 'echoapp');
    } finally {
      local.close();
    }
  });

  it('streams a server-streaming answer and its trailers', async () => {
    const call = viaCaller.Count?.(Buffer.from('5'), metadataFor('echoapp')) as grpc.ClientReadableStream<Buffer>;
    const received: string[] = [];
    const status = await new Promise<grpc.StatusObject>((resolve, reject) => {
      call.on('data', (chunk: Buffer) => received.push(chunk.toString()));
      call.on('status', resolve);
      call.on('error', reject);
    });
    assert.deepEqual(received, ['n1', 'n2', 'n3', 'n4', 'n5']);
    assert.equal(status.code, grpc.status.OK);
    assert.equal(text(status.metadata, 'x-counted'), '5');
  });

  it('carries a bidirectional stream both ways, message by message', async () => {
    const call = viaCaller.Chat?.(metadataFor('echoapp')) as grpc.ClientDuplexStream<Buffer, Buffer>;
    const replies: string[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      call.on('end', resolve);
      call.on('error', reject);
    });
    // Each reply arrives before the next message is sent: the stream is not buffered whole.
    for (const word of ['one', 'two', 'three']) {
      const reply = new Promise<string>((resolve) => call.once('data', (chunk: Buffer) => resolve(chunk.toString())));
      call.write(Buffer.from(word));
      replies.push(await reply);
    }
    call.end();
    await ended;
    assert.deepEqual(replies, ['ONE', 'TWO', 'THREE']);
  });

  it('checks the API token before proxying', async () => {
    const metadata = metadataFor('echoapp');
    metadata.set('dapr-api-token', 'wrong');
    const result = await unary(viaCaller, 'Say', Buffer.from('x'), metadata);
    assert.equal(result.error?.code, grpc.status.UNAUTHENTICATED);
  });

  it('cancels the call at the app when the caller cancels', async () => {
    const call = viaCaller.Hold?.(Buffer.from('hold-1'), metadataFor('echoapp')) as grpc.ClientReadableStream<Buffer>;
    call.on('error', () => undefined);
    await new Promise<void>((resolve) => call.once('data', () => resolve()));
    assert.equal(cancelledHolds.has('hold-1'), false);
    call.cancel();
    await waitFor('the app to see the call cancelled', () => cancelledHolds.has('hold-1'), 10_000);
  });

  it('passes an error status, its message and its metadata back', async () => {
    const result = await unary(viaCaller, 'Fail', Buffer.from(''), metadataFor('echoapp'));
    assert.equal(result.error?.code, grpc.status.FAILED_PRECONDITION);
    assert.equal(result.error?.details, 'not today');
    assert.equal(text(result.error?.metadata ?? new grpc.Metadata(), 'x-why'), 'because');
  });

  it('answers UNAVAILABLE for an app id no sidecar has, and UNKNOWN without dapr-app-id', async () => {
    const unknown = await unary(viaCaller, 'Say', Buffer.from('x'), metadataFor('nobody'));
    assert.equal(unknown.error?.code, grpc.status.UNAVAILABLE);
    assert.match(unknown.error?.details ?? '', /couldn't find service: nobody/);
    const missing = await unary(viaCaller, 'Say', Buffer.from('x'), metadataFor(undefined));
    assert.equal(missing.error?.code, grpc.status.UNKNOWN);
    assert.equal(missing.error?.details, 'failed to proxy request: required metadata dapr-callee-app-id or dapr-app-id not found');
  });
});
