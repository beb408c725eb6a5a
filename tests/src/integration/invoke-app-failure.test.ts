// An app that fails a call from another sidecar: it breaks off its answer before the end, or it cannot be
// reached. The caller gets daprd's 500 ERR_DIRECT_INVOKE naming the app ("error invoking app channel"),
// on the framed path between the sidecars and on the HTTP/1.1 one a streamed body takes, and the call is
// not sent again. Through the gRPC API (InvokeService) the same error comes as daprd raises it: INTERNAL,
// not the UNKNOWN an app's own 500 answer maps to.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { daprGrpcClient, failureOf, statusOfConnectError, waitForGrpcApi, type RichStatus } from '../harness/grpc.js';
import { call, errorOf } from '../harness/http.js';
import { freePort } from '../harness/processes.js';
import { startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

describe('an app that fails a call from another sidecar', () => {
  const dir = tempDir();
  const home = join(dir.path, 'home');
  const resources = join(dir.path, 'resources');
  let appServer: Server;
  let callsToBreak = 0;
  let callee: SidecarHandle;
  let caller: SidecarHandle;

  before(async () => {
    mkdirSync(resources, { recursive: true });
    const appPort = await freePort();
    appServer = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url?.startsWith('/break') !== true) {
          res.end('ok');
          return;
        }
        callsToBreak++;
        // A length of 100 declared, 9 bytes sent, then the connection is gone.
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
        res.write('only part', () => res.socket?.destroy());
      });
    });
    await new Promise<void>((resolve) => appServer.listen(appPort, '127.0.0.1', resolve));
    [callee, caller] = await Promise.all([
      startRun({ appId: 'failcallee', resourcesPath: resources, home, appPort, waitForApp: true, extraFlags: ['--max-body-size', '16Mi'] }),
      startRun({ appId: 'failcaller', resourcesPath: resources, home, extraFlags: ['--max-body-size', '16Mi'] }),
    ]);
    await waitForGrpcApi(caller);
  });

  after(async () => {
    await Promise.all([callee?.stop(), caller?.stop()]);
    appServer?.closeAllConnections();
    await new Promise<void>((resolve) => appServer?.close(() => resolve()));
    dir.cleanup();
  });

  const channelFailureMessage = /^failed to invoke, id: failcallee, err: error invoking app channel: /;

  const assertChannelFailure = (response: Awaited<ReturnType<typeof call>>) => {
    assert.equal(response.status, 500, response.text);
    assert.equal(errorOf(response).errorCode, 'ERR_DIRECT_INVOKE');
    assert.match(errorOf(response).message, channelFailureMessage);
    // The marker the callee's sidecar puts on its own errors stops at the caller's sidecar.
    assert.equal(response.headers.get('outrigger-sidecar-error'), null);
  };

  /** InvokeService to the callee's `method` (verb 3: POST), through the caller's gRPC API; resolves with the failure. */
  const grpcFailure = (method: string) => failureOf(
    () => daprGrpcClient(caller.grpcPort).invokeService({ id: 'failcallee', message: { method, data: { value: new TextEncoder().encode('x') }, contentType: 'text/plain', httpExtension: { verb: 3 } } }),
    statusOfConnectError,
  );

  const assertGrpcChannelFailure = (status: RichStatus) => {
    assert.equal(status.code, 13, `INTERNAL, as daprd; got ${status.code}: ${status.message}`);
    assert.match(status.headerMessage ?? status.message, channelFailureMessage);
    assert.equal(status.errorInfo?.reason, 'ERR_DIRECT_INVOKE');
  };

  it('answers a small call the app broke off with ERR_DIRECT_INVOKE, sent once, and the next call works', async () => {
    const before = callsToBreak;
    assertChannelFailure(await call('POST', `${caller.baseUrl}/v1.0/invoke/failcallee/method/break`, 'x', { 'content-type': 'text/plain' }));
    assert.equal(callsToBreak - before, 1, 'the app got the call once');
    const next = await call('POST', `${caller.baseUrl}/v1.0/invoke/failcallee/method/ok`, 'x', { 'content-type': 'text/plain' });
    assert.equal(next.status, 200);
    assert.equal(next.text, 'ok');
  });

  it('answers the same way when the body streamed to the callee (over HTTP/1.1)', async () => {
    // 5 MB: past the caller's 4 MiB retry buffer, so it streams to the callee's sidecar over HTTP/1.1.
    const before = callsToBreak;
    assertChannelFailure(await call('POST', `${caller.baseUrl}/v1.0/invoke/failcallee/method/break`, randomBytes(5 * 1024 * 1024), { 'content-type': 'application/octet-stream' }));
    assert.equal(callsToBreak - before, 1, 'the app got the call once');
  });

  it('fails an InvokeService call the app broke off with INTERNAL and daprd\'s message', async () => {
    const before = callsToBreak;
    assertGrpcChannelFailure(await grpcFailure('break'));
    assert.equal(callsToBreak - before, 1, 'the app got the call once');
  });

  it('answers ERR_DIRECT_INVOKE when the app cannot be reached', async () => {
    appServer.closeAllConnections();
    await new Promise<void>((resolve) => appServer.close(() => resolve()));
    assertChannelFailure(await call('POST', `${caller.baseUrl}/v1.0/invoke/failcallee/method/ok`, 'x', { 'content-type': 'text/plain' }));
    assertGrpcChannelFailure(await grpcFailure('ok'));
  });
});
