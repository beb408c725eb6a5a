// Resiliency policies on service invocation between sidecars: retries counted at a flaky app, status
// code matching, per-attempt timeouts, a circuit breaker that opens and half-opens, daprd's built-in
// service retries against a sidecar that cannot be reached, a user policy that replaces them, and scopes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprClient, HttpMethod, LogLevel } from '@dapr/dapr';
import { waitFor } from '@outrigger/kit';
import { LocalRegistry } from '@outrigger/runtime';
import { call, errorOf } from '../harness/http.js';
import { scrapeText, total } from '../harness/prometheus.js';
import { freePort, testAppsDir, writeFile } from '../harness/processes.js';
import { startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

const resiliencyYaml = `apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: caller-policies
scopes: [caller]
spec:
  policies:
    timeouts:
      quick: 300ms
    retries:
      three:
        policy: constant
        duration: 50ms
        maxRetries: 3
      serverErrorsOnly:
        policy: constant
        duration: 20ms
        maxRetries: 2
        matching:
          httpStatusCodes: "500-599"
      DaprBuiltInServiceRetries:
        policy: constant
        duration: 100ms
        maxRetries: 5
    circuitBreakers:
      threeStrikes:
        maxRequests: 1
        timeout: 1500ms
        trip: consecutiveFailures >= 3
  targets:
    apps:
      flaky:
        retry: three
      fragile:
        circuitBreaker: threeStrikes
      slow:
        timeout: quick
        retry: serverErrorsOnly
`;

describe('resiliency: service invocation', () => {
  const dir = tempDir();
  const home = join(dir.path, 'home');
  const appPorts: Record<string, number> = {};
  let caller: SidecarHandle;
  let callerMetricsPort: number;
  let plainCaller: SidecarHandle;
  const apps: SidecarHandle[] = [];
  // A "sidecar" that is registered but resets every connection: daprd's Unavailable.
  let ghost: Server;
  let ghostConnections = 0;
  let registry: LocalRegistry;
  let heartbeat: NodeJS.Timeout;

  const invoke = (from: SidecarHandle, app: string, path: string, method = 'POST', body?: string) =>
    call(method, `${from.baseUrl}/v1.0/invoke/${app}/method/${path}`, body);
  const callsAt = async (app: string, key: string): Promise<number> =>
    ((await call('GET', `http://127.0.0.1:${appPorts[app]}/calls/${key}`)).json() as { calls: number }).calls;

  before(async () => {
    const resources = join(dir.path, 'resources');
    writeFile(join(resources, 'resiliency.yaml'), resiliencyYaml);
    const started = await Promise.all(['flaky', 'fragile', 'slow'].map(async (appId) => {
      appPorts[appId] = await freePort();
      return startRun({ appId, resourcesPath: resources, home, appPort: appPorts[appId], waitForApp: true, appCommand: [process.execPath, join(testAppsDir, 'resiliency-app.mjs')] });
    }));
    apps.push(...started);
    callerMetricsPort = await freePort();
    [caller, plainCaller] = await Promise.all([
      startRun({ appId: 'caller', resourcesPath: resources, home, extraFlags: ['--metrics-port', String(callerMetricsPort)] }),
      startRun({ appId: 'plain-caller', resourcesPath: resources, home }),
    ]);
    const sockets = new Set<Socket>();
    ghost = createServer((socket) => {
      ghostConnections++;
      sockets.add(socket);
      socket.resetAndDestroy();
    });
    const ghostPort = await freePort();
    await new Promise<void>((resolve) => ghost.listen(ghostPort, '127.0.0.1', resolve));
    registry = new LocalRegistry(join(home, 'registry.db'));
    registry.register({ registrationId: 'ghost-1', appId: 'ghost', namespace: '', internalAddress: `127.0.0.1:${ghostPort}`, httpPort: 1, grpcPort: 1, appPort: undefined, pid: process.pid, startedAt: Date.now() });
    heartbeat = setInterval(() => registry.heartbeat('ghost-1'), 1_000);
  });

  after(async () => {
    clearInterval(heartbeat);
    registry?.unregister('ghost-1');
    registry?.close();
    ghost?.close();
    await Promise.all([caller?.stop(), plainCaller?.stop(), ...apps.map((app) => app.stop())]);
    dir.cleanup();
  });

  it('retries a flaky app as often as the policy says, with the request body each time', async () => {
    const recovered = await invoke(caller, 'flaky', 'fail/twice?status=500&times=2', 'POST', '{"order":42}');
    assert.equal(recovered.status, 200);
    assert.deepEqual(recovered.json(), { ok: 3, body: '{"order":42}' });
    assert.equal(await callsAt('flaky', 'twice'), 3, 'two failures and the success');

    const hopeless = await invoke(caller, 'flaky', 'fail/always?status=503');
    assert.equal(hopeless.status, 503, 'the app\'s last answer comes back as it was');
    assert.deepEqual(hopeless.json(), { failure: 4 });
    assert.equal(hopeless.headers.get('x-app-answer'), 'yes');
    assert.equal(await callsAt('flaky', 'always'), 4, 'one call and maxRetries 3');
  });

  it('counts the policies applied and the retries in daprd\'s dapr_resiliency_* metrics', async () => {
    const text = await scrapeText(callerMetricsPort);
    assert.equal(total(text, 'dapr_resiliency_loaded', { app_id: 'caller', name: 'caller-policies' }), 1);
    const flaky = { app_id: 'caller', name: 'caller-policies', policy: 'retry', flow_direction: 'outbound', target: 'app_flaky', status: '' };
    assert.equal(total(text, 'dapr_resiliency_count', flaky), 2, 'the retry policy applied to the two invocations of flaky');
    assert.equal(total(text, 'dapr_resiliency_activations_total', flaky), 5, 'two retries, then three');
  });

  it('applies the same policies to the gRPC API\'s InvokeService', async () => {
    const client = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(caller.grpcPort), communicationProtocol: CommunicationProtocolEnum.GRPC, logger: { level: LogLevel.Error } });
    try {
      const answer = await client.invoker.invoke('flaky', 'fail/grpc/2/500', HttpMethod.POST, { order: 7 }) as { ok: number; body: string };
      assert.equal(answer.ok, 3);
      assert.deepEqual(JSON.parse(answer.body), { order: 7 });
      assert.equal(await callsAt('flaky', 'grpc'), 3, 'two failures and the success');
    } finally {
      await client.stop();
    }
  });

  it('retries only the status codes the policy matches', async () => {
    const notFound = await invoke(caller, 'slow', 'fail/missing?status=404');
    assert.equal(notFound.status, 404);
    assert.equal(await callsAt('slow', 'missing'), 1, '404 is outside 500-599');
    const badGateway = await invoke(caller, 'slow', 'fail/gateway?status=502&times=1');
    assert.equal(badGateway.status, 200);
    assert.equal(await callsAt('slow', 'gateway'), 2);
  });

  it('cuts each slow attempt at the timeout and answers ERR_DIRECT_INVOKE quickly', async () => {
    const started = Date.now();
    const answer = await invoke(caller, 'slow', 'slow/sleepy?ms=5000', 'GET');
    const elapsed = Date.now() - started;
    assert.equal(answer.status, 500);
    assert.deepEqual(errorOf(answer), { errorCode: 'ERR_DIRECT_INVOKE', message: 'failed to invoke, id: slow, err: context deadline exceeded' });
    assert.ok(elapsed >= 900 && elapsed < 3_000, `three attempts of 300 ms, not the app's 5 s (took ${elapsed} ms)`);
    await waitFor('the three attempts at the app', async () => (await callsAt('slow', 'sleepy')) === 3, 5_000);
  });

  it('opens the circuit breaker on its trip condition and half-opens after its timeout', async () => {
    await call('PUT', `http://127.0.0.1:${appPorts.fragile}/modes/flip`, 'fail');
    for (let index = 0; index < 3; index++) assert.equal((await invoke(caller, 'fragile', 'mode/flip')).status, 500);
    assert.equal(await callsAt('fragile', 'flip'), 3);
    const refused = await invoke(caller, 'fragile', 'mode/flip');
    assert.equal(refused.status, 500);
    assert.deepEqual(errorOf(refused), { errorCode: 'ERR_DIRECT_INVOKE', message: 'failed to invoke, id: fragile, err: circuit breaker is open' });
    assert.equal(await callsAt('fragile', 'flip'), 3, 'an open breaker fails fast without reaching the app');

    await call('PUT', `http://127.0.0.1:${appPorts.fragile}/modes/flip`, 'ok');
    const openedAt = Date.now();
    let refusals = 0;
    await waitFor('a probe after the open timeout', async () => {
      const answer = await invoke(caller, 'fragile', 'mode/flip');
      if (answer.status === 200) return true;
      assert.match(errorOf(answer).message, /circuit breaker is open/);
      refusals++;
      return false;
    }, 10_000, 100);
    assert.ok(Date.now() - openedAt >= 1_000, 'the breaker stays open for its 1.5 s timeout');
    assert.ok(refusals > 0);
    assert.equal(await callsAt('fragile', 'flip'), 4, 'the refusals never reached the app; the probe did');
    assert.equal((await invoke(caller, 'fragile', 'mode/flip')).status, 200, 'the successful probe closed it');
    assert.equal(await callsAt('fragile', 'flip'), 5);
    const text = await scrapeText(callerMetricsPort);
    const breaker = { app_id: 'caller', policy: 'circuitbreaker', target: 'app_fragile' };
    for (const state of ['open', 'half-open', 'closed']) {
      assert.equal(total(text, 'dapr_resiliency_activations_total', { ...breaker, status: state }), 1, `one change to ${state}`);
    }
    assert.equal(total(text, 'dapr_resiliency_cb_state', { ...breaker, status: 'closed' }), 1);
    assert.equal(total(text, 'dapr_resiliency_cb_state', { ...breaker, status: 'open' }), 0);
  });

  it('applies a Resiliency only to the app ids in its scopes', async () => {
    const answer = await invoke(plainCaller, 'flaky', 'fail/unscoped?status=500');
    assert.equal(answer.status, 500);
    assert.equal(await callsAt('flaky', 'unscoped'), 1, 'no policy applies to plain-caller, and the built-in retries never replay an app\'s answer');
  });

  it('retries a sidecar that cannot be reached 3 times 1 s apart by default (DaprBuiltInServiceRetries)', async () => {
    ghostConnections = 0;
    const started = Date.now();
    const answer = await invoke(plainCaller, 'ghost', 'anything', 'GET');
    const elapsed = Date.now() - started;
    assert.equal(answer.status, 500);
    assert.equal(errorOf(answer).errorCode, 'ERR_DIRECT_INVOKE');
    assert.match(errorOf(answer).message, /^failed to invoke, id: ghost, err: /);
    assert.equal(ghostConnections, 4, 'one call and three retries');
    assert.ok(elapsed >= 2_900 && elapsed < 6_000, `three 1 s waits (took ${elapsed} ms)`);
  });

  it('lets a user policy named DaprBuiltInServiceRetries replace the built-in one', async () => {
    ghostConnections = 0;
    const started = Date.now();
    const answer = await invoke(caller, 'ghost', 'anything', 'GET');
    const elapsed = Date.now() - started;
    assert.equal(answer.status, 500);
    assert.equal(ghostConnections, 6, 'one call and the policy\'s five retries');
    assert.ok(elapsed >= 450 && elapsed < 2_500, `five 100 ms waits, not 1 s ones (took ${elapsed} ms)`);
  });
});
