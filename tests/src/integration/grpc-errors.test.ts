// Error mapping of the gRPC API: for each error class, the gRPC status code and the google.rpc.ErrorInfo
// (domain dapr.io, reason) read from the `grpc-status-details-bin` trailer, with both kinds of client:
// Connect's gRPC transport (@dapr/dapr 3.18) and grpc-js (`application/grpc`, @dapr/dapr 3.6.1).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { daprGrpcClient, failureOf, grpcJsUnary, statusOfConnectError, statusOfGrpcJsError, waitForGrpcApi, type DaprMethodName } from '../harness/grpc.js';
import { grpcSdks } from '../harness/grpc-sdks.js';
import { writeFile } from '../harness/processes.js';
import { inMemoryPubSubYaml, startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

type MethodName = DaprMethodName;

interface ErrorCase {
  readonly name: string;
  readonly method: MethodName;
  readonly request: Record<string, unknown>;
  /** Which sidecar answers: `main` has components, `bare` has none. */
  readonly sidecar?: 'main' | 'bare';
  readonly code: number;
  readonly reason: string;
  readonly message: RegExp;
}

const cases: readonly ErrorCase[] = [
  { name: 'state store not found', method: 'getState', request: { storeName: 'nope', key: 'k' }, code: 3, reason: 'DAPR_STATE_NOT_FOUND', message: /^state store nope is not found$/ },
  { name: 'no state store configured', method: 'saveState', request: { storeName: 'any', states: [{ key: 'k' }] }, sidecar: 'bare', code: 9, reason: 'DAPR_STATE_NOT_CONFIGURED', message: /state store any is not configured/ },
  { name: 'etag mismatch', method: 'saveState', request: { storeName: 'memstore', states: [{ key: 'etagged', value: new Uint8Array([1]), etag: { value: '999999' } }] }, code: 10, reason: 'ERR_STATE_SAVE', message: /possible etag mismatch/ },
  { name: 'delete with a stale etag', method: 'deleteState', request: { storeName: 'memstore', key: 'etagged', etag: { value: '999999' } }, code: 10, reason: 'ERR_STATE_DELETE', message: /possible etag mismatch/ },
  { name: 'malformed value for contentType application/json', method: 'saveState', request: { storeName: 'memstore', states: [{ key: 'k', value: new TextEncoder().encode('{nope'), metadata: { contentType: 'application/json' } }] }, code: 3, reason: 'ERR_MALFORMED_REQUEST', message: /not JSON/ },
  { name: 'malformed query', method: 'queryStateAlpha1', request: { storeName: 'memstore', query: '{not json' }, code: 13, reason: 'DAPR_STATE_QUERY_FAILED', message: /failed to parse JSON query body/ },
  { name: 'unsupported transaction operation', method: 'executeStateTransaction', request: { storeName: 'memstore', operations: [{ operationType: 'merge', request: { key: 'k' } }] }, code: 12, reason: 'ERR_NOT_SUPPORTED_STATE_OPERATION', message: /operation type merge not supported/ },
  { name: 'unimplemented building block', method: 'invokeActor', request: { actorType: 't', actorId: 'i', method: 'm' }, code: 12, reason: 'ERR_API_UNIMPLEMENTED', message: /InvokeActor \(the actors building block is not implemented/ },
  { name: 'invocation of an unknown app', method: 'invokeService', request: { id: 'nobody-here', message: { method: 'm', httpExtension: { verb: 3 } } }, code: 13, reason: 'ERR_DIRECT_INVOKE', message: /failed to invoke, id: nobody-here, err: couldn't find service/ },
  { name: 'invocation without an HTTP verb', method: 'invokeService', request: { id: 'grpc-errors', message: { method: 'm' } }, code: 13, reason: 'ERR_DIRECT_INVOKE', message: /missing HTTP extension field/ },
  { name: 'pub/sub not found', method: 'publishEvent', request: { pubsubName: 'nope', topic: 't' }, code: 3, reason: 'DAPR_PUBSUB_NOT_FOUND', message: /pubsub nope is not found/ },
  { name: 'topic empty', method: 'publishEvent', request: { pubsubName: 'pubsub', topic: '' }, code: 3, reason: 'DAPR_PUBSUB_TOPIC_NAME_EMPTY', message: /topic is empty in pubsub pubsub/ },
  { name: 'bulk publish with a duplicated entry id', method: 'bulkPublishEventAlpha1', request: { pubsubName: 'pubsub', topic: 't', entries: [{ entryId: 'a' }, { entryId: 'a' }] }, code: 3, reason: 'DAPR_PUBSUB_UNMARSHAL_EVENTS', message: /entryId is duplicated/ },
  { name: 'lock store not found', method: 'tryLockAlpha1', request: { storeName: 'nope', resourceId: 'r', lockOwner: 'o', expiryInSeconds: 5 }, code: 3, reason: 'ERR_LOCK_STORE_NOT_FOUND', message: /lock store nope not found/ },
  { name: 'no lock store configured', method: 'unlockAlpha1', request: { storeName: 'nope', resourceId: 'r', lockOwner: 'o' }, sidecar: 'bare', code: 9, reason: 'ERR_LOCK_STORE_NOT_CONFIGURED', message: /lock store is not configured/ },
  { name: 'secret store not found', method: 'getSecret', request: { storeName: 'nope', key: 'k' }, code: 3, reason: 'ERR_SECRET_STORE_NOT_FOUND', message: /failed finding secret store with key nope/ },
  { name: 'configuration store not found', method: 'getConfiguration', request: { storeName: 'nope' }, code: 3, reason: 'ERR_CONFIGURATION_STORE_NOT_FOUND', message: /configuration store nope not found/ },
  { name: 'output binding not found', method: 'invokeBinding', request: { name: 'nope', operation: 'create' }, code: 13, reason: 'ERR_INVOKE_OUTPUT_BINDING', message: /couldn't find output binding nope/ },
];

const transports = [
  {
    name: 'Connect gRPC transport',
    fail: (port: number, method: MethodName, request: Record<string, unknown>) => failureOf(
      () => (daprGrpcClient(port) as unknown as Record<string, (input: unknown) => Promise<unknown>>)[method]!(request), statusOfConnectError),
  },
  {
    name: 'grpc-js',
    fail: (port: number, method: MethodName, request: Record<string, unknown>) => failureOf(() => grpcJsUnary(port, method, request), statusOfGrpcJsError),
  },
] as const;

describe('gRPC error mapping', () => {
  const dir = tempDir('outrigger-grpc-errors-');
  let main: SidecarHandle;
  let bare: SidecarHandle;
  let guarded: SidecarHandle;

  before(async () => {
    const resources = join(dir.path, 'resources');
    writeFile(join(resources, 'components.yaml'), `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: memstore
spec:
  type: state.in-memory
  version: v1
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: lockstore
spec:
  type: lock.in-memory
  version: v1
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: envsecrets
spec:
  type: secretstores.local.env
  version: v1
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: configstore
spec:
  type: configuration.sqlite
  version: v1
  metadata:
  - name: connectionString
    value: ${join(dir.path, 'configuration.db')}
${inMemoryPubSubYaml('pubsub')}`);
    const empty = join(dir.path, 'empty');
    writeFile(join(empty, 'README'), 'no components\n');
    const home = join(dir.path, 'home');
    [main, bare, guarded] = await Promise.all([
      startRun({ appId: 'grpc-errors', resourcesPath: resources, home, mode: 'sidecar' }),
      startRun({ appId: 'grpc-errors-bare', resourcesPath: empty, home, mode: 'sidecar', extraFlags: ['--dapr-listen-addresses', '127.0.0.1'] }),
      startRun({ appId: 'grpc-errors-token', resourcesPath: resources, home, mode: 'sidecar', env: { DAPR_API_TOKEN: 'let-me-in' } }),
    ]);
    await Promise.all([waitForGrpcApi(main), waitForGrpcApi(bare), waitForGrpcApi(guarded, 'let-me-in')]);
    await daprGrpcClient(main.grpcPort).saveState({ storeName: 'memstore', states: [{ key: 'etagged', value: new Uint8Array([0]) }] });
  });

  after(async () => {
    await Promise.all([main?.stop(), bare?.stop(), guarded?.stop()]);
    dir.cleanup();
  });

  for (const transport of transports) {
    describe(transport.name, () => {
      for (const errorCase of cases) {
        it(`${errorCase.name}: status ${errorCase.code}, reason ${errorCase.reason}`, async () => {
          const port = (errorCase.sidecar === 'bare' ? bare : main).grpcPort;
          const status = await transport.fail(port, errorCase.method, errorCase.request);
          assert.equal(status.code, errorCase.code, status.message);
          assert.match(status.message, errorCase.message);
          assert.equal(status.errorInfo?.domain, 'dapr.io');
          assert.equal(status.errorInfo?.reason, errorCase.reason);
          // grpc-message must decode to the same text in both libraries (grpc-js uses decodeURI).
          assert.equal(status.headerMessage, status.message);
        });
      }

      it('answers a call without the API token, or with a wrong one, UNAUTHENTICATED as daprd does', async () => {
        const missing = await transport.fail(guarded.grpcPort, 'getMetadata', {});
        assert.deepEqual([missing.code, missing.message, missing.errorInfo?.reason], [16, 'Unauthorized', 'Unauthorized']);
        assert.deepEqual(missing.errorInfo?.metadata, { 'http.code': '401', 'http.error_message': 'missing api token in request metadata' });
        const wrong = transport.name === 'grpc-js'
          ? await failureOf(() => {
            const metadata = new grpc.Metadata();
            metadata.set('dapr-api-token', 'wrong');
            return grpcJsUnary(guarded.grpcPort, 'getMetadata', {}, metadata);
          }, statusOfGrpcJsError)
          : await failureOf(() => daprGrpcClient(guarded.grpcPort, 'wrong').getMetadata({}), statusOfConnectError);
        assert.deepEqual([wrong.code, wrong.errorInfo?.metadata['http.error_message']], [16, 'authentication error: api token mismatch']);
      });

      it('answers a service it does not know, called without dapr-app-id, UNKNOWN as daprd\'s gRPC proxy does', async () => {
        const client = new grpc.Client(`127.0.0.1:${main.grpcPort}`, grpc.credentials.createInsecure());
        const error = await new Promise<grpc.ServiceError | null>((resolve) => {
          client.makeUnaryRequest('/some.other.Service/Call', (value: Buffer) => value, (value: Buffer) => value, Buffer.alloc(0), (failure) => resolve(failure));
        });
        client.close();
        assert.deepEqual([error?.code, error?.details], [2, 'failed to proxy request: required metadata dapr-callee-app-id or dapr-app-id not found']);
      });
    });
  }

  it('listens only on --dapr-listen-addresses', async () => {
    const reachable = (host: string) => new Promise<boolean>((resolve) => {
      const socket = connect({ host, port: bare.grpcPort });
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    // 127.0.0.2 is loopback too on Linux: only the listen address keeps it out.
    assert.deepEqual([await reachable('127.0.0.1'), await reachable('127.0.0.2')], [true, false]);
  });

  describe('the SDKs with an API token', () => {
    for (const sdk of grpcSdks) {
      it(`${sdk.name} works with the right token and fails with a wrong one`, async () => {
        const client = await sdk.client(guarded.grpcPort, 'let-me-in');
        try {
          assert.equal((await client.metadata.get()).id, 'grpc-errors-token');
          await client.state.save('memstore', [{ key: 'token-ok', value: 'yes' }]);
          assert.equal(await client.state.get('memstore', 'token-ok'), 'yes');
        } finally {
          await client.stop();
        }
        const intruder = await failureOf(
          () => grpcJsUnary(guarded.grpcPort, 'getState', { storeName: 'memstore', key: 'token-ok' }),
          statusOfGrpcJsError,
        );
        assert.equal(intruder.code, 16);
      });
    }
  });
});
