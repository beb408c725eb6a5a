// Access control for service invocation (Configuration `spec.accessControl`) between real sidecars.
// Outrigger has no mTLS yet, so, as daprd without mTLS, a caller's identity cannot be verified and the
// called app's global default action decides every call from another sidecar: over the framed protocol,
// over HTTP/1.1 (a streamed body), and proxied gRPC. Calls an app makes to its own id are not checked.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { daprGrpcClient, failureOf, statusOfConnectError, waitForGrpcApi } from '../harness/grpc.js';
import { call } from '../harness/http.js';
import { cliMain, freePort, Spawned, testAppsDir, writeFile } from '../harness/processes.js';
import { inMemoryPubSubYaml, startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

function configuration(accessControl: string): string {
  return `apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: acl\nspec:\n  accessControl:\n${accessControl}`;
}

/** A global deny, with a policy that would allow the caller if its identity could be verified (it cannot without mTLS). */
const denyAll = configuration(`    defaultAction: deny
    trustDomain: public
    policies:
    - appId: acl-caller
      defaultAction: allow
      trustDomain: public
      namespace: default
`);
const allowAll = configuration('    defaultAction: Allow\n    trustDomain: public\n');
/** Policies without a global default action: daprd takes deny. */
const policiesOnly = configuration(`    policies:
    - appId: acl-caller
      defaultAction: allow
      trustDomain: public
      namespace: default
`);

const raw = { serialize: (value: Buffer): Buffer => value, deserialize: (bytes: Buffer): Buffer => bytes };
const sayMethod: grpc.MethodDefinition<Buffer, Buffer> = {
  path: '/test.acl.Echo/Say', requestStream: false, responseStream: false,
  requestSerialize: raw.serialize, requestDeserialize: raw.deserialize, responseSerialize: raw.serialize, responseDeserialize: raw.deserialize,
};
const EchoClient = grpc.makeGenericClientConstructor({ Say: sayMethod }, 'Echo');

describe('access control for service invocation', () => {
  const dir = tempDir('outrigger-acl-');
  const home = join(dir.path, 'home');
  const resources = join(dir.path, 'resources');
  const sidecars: SidecarHandle[] = [];
  let grpcApp: grpc.Server | undefined;
  let caller: SidecarHandle;

  async function start(appId: string, config: string | undefined, extra: { appPort?: number; grpc?: boolean } = {}): Promise<SidecarHandle> {
    const flags = config === undefined ? [] : ['--config', writeFile(join(dir.path, `${appId}.yaml`), config)];
    const appPort = extra.appPort ?? await freePort();
    const sidecar = await startRun({
      appId, resourcesPath: resources, home, appPort, waitForApp: true,
      ...(extra.grpc ? { extraFlags: [...flags, '--app-protocol', 'grpc'] } : { extraFlags: flags, appCommand: [process.execPath, join(testAppsDir, 'echo-app.mjs')] }),
    });
    sidecars.push(sidecar);
    return sidecar;
  }

  before(async () => {
    writeFile(join(resources, 'pubsub.yaml'), inMemoryPubSubYaml());
    const grpcPort = await freePort();
    grpcApp = new grpc.Server();
    grpcApp.addService({ Say: sayMethod }, {
      Say: (request: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, Buffer.concat([Buffer.from('echo:'), request.request])),
    });
    await new Promise<void>((resolve, reject) => grpcApp?.bindAsync(`127.0.0.1:${grpcPort}`, grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())));
    [caller] = await Promise.all([
      startRun({ appId: 'acl-caller', resourcesPath: resources, home, extraFlags: ['--max-body-size', '16Mi'] }).then((sidecar) => { sidecars.push(sidecar); return sidecar; }),
      start('acl-deny', denyAll), start('acl-allow', allowAll), start('acl-policies', policiesOnly), start('acl-grpc', denyAll, { appPort: grpcPort, grpc: true }),
    ]);
  });

  after(async () => {
    await Promise.all(sidecars.map((sidecar) => sidecar.stop()));
    await new Promise<void>((resolve) => (grpcApp ? grpcApp.tryShutdown(() => resolve()) : resolve()));
    dir.cleanup();
  });

  const denied = (appId: string, operation: string, verb: string) =>
    `failed to invoke, id: ${appId}, err: rpc error: code = PermissionDenied desc = access control policy has denied access to id:  operation: ${operation} verb: ${verb}`;

  it('refuses a call from another sidecar with 403 ERR_DIRECT_INVOKE when the global default action is deny', async () => {
    const response = await call('POST', `${caller.baseUrl}/v1.0/invoke/acl-deny/method/orders/new?x=1`, 'order', { 'content-type': 'text/plain' });
    assert.equal(response.status, 403, response.text);
    assert.deepEqual(response.json(), { errorCode: 'ERR_DIRECT_INVOKE', message: denied('acl-deny', 'orders/new', 'POST') });
  });

  it('refuses a streamed call too (a body past the 4 MiB replay buffer travels over HTTP/1.1 between the sidecars)', async () => {
    const chunk = new Uint8Array(256 * 1024).fill(97);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 5 * 1024 * 1024) controller.close();
        else controller.enqueue(chunk);
        sent += chunk.length;
      },
    });
    const response = await fetch(`${caller.baseUrl}/v1.0/invoke/acl-deny/method/upload`, { method: 'PUT', body, duplex: 'half' } as RequestInit);
    assert.equal(response.status, 403);
    assert.deepEqual(await response.json(), { errorCode: 'ERR_DIRECT_INVOKE', message: denied('acl-deny', 'upload', 'PUT') });
  });

  it('raises the refusal through the gRPC InvokeService as INTERNAL, as daprd wraps the callee\'s error', async () => {
    await waitForGrpcApi(caller);
    const failure = await failureOf(() => daprGrpcClient(caller.grpcPort).invokeService({
      id: 'acl-deny', message: { method: 'orders', data: { value: new TextEncoder().encode('x') }, contentType: 'text/plain', httpExtension: { verb: 3 } },
    }), statusOfConnectError);
    assert.equal(failure.code, grpc.status.INTERNAL);
    assert.equal(failure.message, denied('acl-deny', 'orders', 'POST'));
  });

  it('refuses when policies are given without a global default action, as daprd takes deny', async () => {
    const response = await call('GET', `${caller.baseUrl}/v1.0/invoke/acl-policies/method/status`);
    assert.equal(response.status, 403, response.text);
    assert.equal((response.json() as { message: string }).message, denied('acl-policies', 'status', 'GET'));
  });

  it('lets calls through when the global default action is allow, in any case', async () => {
    const response = await call('POST', `${caller.baseUrl}/v1.0/invoke/acl-allow/method/echo`, 'hello', { 'content-type': 'text/plain' });
    assert.equal(response.status, 200, response.text);
  });

  it('does not check an app calling its own id', async () => {
    const self = sidecars.find((sidecar) => sidecar.appId === 'acl-deny');
    assert.ok(self);
    const response = await call('POST', `${self.baseUrl}/v1.0/invoke/acl-deny/method/echo`, 'self', { 'content-type': 'text/plain' });
    assert.equal(response.status, 200, response.text);
  });

  it('refuses a proxied gRPC call with PERMISSION_DENIED', async () => {
    const client = new EchoClient(`127.0.0.1:${caller.grpcPort}`, grpc.credentials.createInsecure());
    try {
      const metadata = new grpc.Metadata();
      metadata.set('dapr-app-id', 'acl-grpc');
      const error = await new Promise<grpc.ServiceError | null>((resolve) => {
        (client as unknown as Record<string, (request: Buffer, metadata: grpc.Metadata, done: (error: grpc.ServiceError | null) => void) => void>)
          .Say?.(Buffer.from('hi'), metadata, (failure) => resolve(failure));
      });
      assert.equal(error?.code, grpc.status.PERMISSION_DENIED);
      assert.equal(error?.details, 'access control policy has denied access to id:  operation: /test.acl.Echo/Say verb: NONE');
    } finally {
      client.close();
    }
  });

  it('refuses to start with a policy that lacks its trust domain or namespace, naming the apps as daprd does', async () => {
    const configFile = writeFile(join(dir.path, 'invalid.yaml'), configuration(`    defaultAction: deny
    policies:
    - appId: app1
      namespace: default
    - appId: app2
      trustDomain: public
`));
    const run = new Spawned(process.execPath, [cliMain, 'run', '--app-id', 'acl-invalid', '--dapr-http-port', String(await freePort()),
      '--dapr-grpc-port', String(await freePort()), '--resources-path', resources, '--config', configFile], { env: { ...process.env, OUTRIGGER_HOME: home } });
    try {
      assert.notEqual(await run.exited, 0);
      await run.outputClosed;
      assert.match(run.output, /invalid access control spec\. missing trustdomain for apps: \[app1\], missing namespace for apps: \[app2\], missing app name on at least one of the app policies: false/);
    } finally {
      await run.stop();
    }
  });
});
