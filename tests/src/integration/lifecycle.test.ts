// Lifecycle robustness with real processes: nothing reaches an app before it is healthy, and the
// shutdown drain waits for a busy app, bounded by the grace period.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { waitFor } from '@outrigger/kit';
import { LocalRegistry } from '@outrigger/runtime';
import { call, errorOf } from '../harness/http.js';
import { cliMain, freePort, Spawned, testAppsDir } from '../harness/processes.js';
import { inMemoryPubSubYaml, sqlitePubSubYaml, startRun, tempDir, writeStateComponents, type SidecarHandle } from '../harness/sidecars.js';

const lifecycleApp = join(testAppsDir, 'lifecycle-app.mjs');

/** The sidecar pid of an app, from the local registry the sidecars share. */
function sidecarPid(home: string, appId: string): number {
  const registry = new LocalRegistry(join(home, 'registry.db'));
  try {
    const entry = registry.list().find((candidate) => candidate.appId === appId);
    if (!entry) throw new Error(`no sidecar registered for ${appId}`);
    return entry.pid;
  } finally {
    registry.close();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('app health gating', () => {
  const dir = tempDir();
  const running: SidecarHandle[] = [];
  after(async () => {
    await Promise.all(running.map((handle) => handle.stop()));
    dir.cleanup();
  });

  it('delivers nothing to an app before its health check passes, then everything', async () => {
    const appPort = await freePort();
    const app = `http://127.0.0.1:${appPort}`;
    const sidecar = await startRun({
      appId: 'late-health', resourcesPath: writeStateComponents(dir.path, inMemoryPubSubYaml()), home: join(dir.path, 'home'), appPort,
      appCommand: [process.execPath, lifecycleApp],
      extraFlags: ['--enable-app-health-check', '--app-health-check-path', '/health', '--app-health-probe-interval', '1', '--app-health-threshold', '1'],
      env: { START_UNHEALTHY: '1', SUBSCRIPTIONS: JSON.stringify([{ pubsubname: 'pubsub', topic: 'work', route: '/work' }]) },
    });
    running.push(sidecar);
    await waitFor('the app to listen', async () => (await fetch(`${app}/log`).catch(() => undefined))?.ok, 10_000);
    const early = await call('POST', `${sidecar.baseUrl}/v1.0/invoke/late-health/method/hello`, 'x');
    assert.equal(early.status, 503);
    assert.equal(errorOf(early).errorCode, 'ERR_DIRECT_INVOKE');
    assert.equal((await call('POST', `${sidecar.baseUrl}/v1.0/publish/pubsub/work`, { id: 'w1' }, { 'content-type': 'application/json' })).status, 204);
    // Three failed probes (a second apart) while the app says it is unhealthy: nothing may reach it meanwhile.
    await assert.rejects(waitFor('ready while unhealthy', async () => (await call('GET', `${sidecar.baseUrl}/v1.0/healthz`)).status === 204, 3_000, 100), /timed out/);
    await call('POST', `${app}/set-health?ok=1`);
    await waitFor('the sidecar to be ready', async () => (await call('GET', `${sidecar.baseUrl}/v1.0/healthz`)).status === 204, 15_000);
    assert.equal((await call('POST', `${sidecar.baseUrl}/v1.0/invoke/late-health/method/hello`, 'x')).status, 200);
    // The subscription starts once the app is healthy; the in-memory broker keeps no messages for
    // subscriptions that do not exist yet, so this is the message that must arrive.
    assert.equal((await call('POST', `${sidecar.baseUrl}/v1.0/publish/pubsub/work`, { id: 'w2' }, { 'content-type': 'application/json' })).status, 204);
    const log = await waitFor('the message delivered', async () => {
      const body = (await call('GET', `${app}/log`)).json() as { healthyAt: number; entries: { at: number; url: string }[] };
      return body.entries.some((entry) => entry.url === '/work') && body;
    }, 10_000);
    assert.ok(log.entries.length >= 3, 'subscribe, the message and the invocation reached the app');
    for (const entry of log.entries) assert.ok(entry.at >= log.healthyAt, `${entry.url} arrived ${log.healthyAt - entry.at} ms before the app turned healthy`);
  });
});

describe('an app that turns unhealthy and recovers', () => {
  const dir = tempDir();
  const running: SidecarHandle[] = [];
  after(async () => {
    await Promise.all(running.map((handle) => handle.stop()));
    dir.cleanup();
  });

  it('pauses deliveries and refuses invocations while unhealthy, and resumes after', async () => {
    const appPort = await freePort();
    const app = `http://127.0.0.1:${appPort}`;
    const resources = writeStateComponents(dir.path, sqlitePubSubYaml(join(dir.path, 'broker.db'), 'pubsub', '  - name: pollInterval\n    value: 20ms\n'));
    const sidecar = await startRun({
      appId: 'flappy', resourcesPath: resources, home: join(dir.path, 'home'), appPort, waitForApp: true,
      appCommand: [process.execPath, lifecycleApp],
      extraFlags: ['--enable-app-health-check', '--app-health-check-path', '/health', '--app-health-probe-interval', '1', '--app-health-threshold', '1'],
      env: { SUBSCRIPTIONS: JSON.stringify([{ pubsubname: 'pubsub', topic: 'work', route: '/work' }]) },
    });
    running.push(sidecar);
    const delivered = async (id: string) => ((await call('GET', `${app}/log`)).json() as { entries: { url: string }[] }).entries
      .filter((entry) => entry.url === '/work').length >= Number(id.slice(1));
    const publish = (id: string) => call('POST', `${sidecar.baseUrl}/v1.0/publish/pubsub/work`, { id }, { 'content-type': 'application/json' });
    await publish('m1');
    await waitFor('the first message', () => delivered('m1'), 10_000);

    await call('POST', `${app}/set-health?ok=0`);
    const refused = await waitFor('invocations to be refused', async () => {
      const response = await call('GET', `${sidecar.baseUrl}/v1.0/invoke/flappy/method/hello`);
      return response.status === 500 && response;
    }, 10_000, 100);
    assert.match(errorOf(refused).message, /not in a healthy state/);
    await publish('m2');
    // A bounded observation window: with subscriptions running, m2 would arrive within a few 20 ms polls.
    await assert.rejects(waitFor('m2 while unhealthy', () => delivered('m2'), 1_500, 50), /timed out/, 'nothing delivered while unhealthy');

    await call('POST', `${app}/set-health?ok=1`);
    await waitFor('the second message after recovery', () => delivered('m2'), 15_000);
    await waitFor('invocations accepted again', async () => (await call('GET', `${sidecar.baseUrl}/v1.0/invoke/flappy/method/hello`)).status === 200, 10_000, 100);
  });
});

describe('drain with the app busy endpoint', () => {
  const dir = tempDir();
  const home = join(dir.path, 'home');
  const running: SidecarHandle[] = [];
  after(async () => {
    await Promise.all(running.map((handle) => handle.stop()));
    dir.cleanup();
  });

  async function timeToExit(appId: string, busyFor: string, graceSeconds: number): Promise<number> {
    const sidecar = await startRun({
      appId, resourcesPath: writeStateComponents(dir.path), home, appPort: await freePort(), waitForApp: true,
      appCommand: [process.execPath, lifecycleApp], env: { BUSY_FOR_MS: busyFor },
      extraFlags: ['--app-busy-path', '/busy', '--dapr-graceful-shutdown-seconds', String(graceSeconds)],
    });
    running.push(sidecar);
    const pid = sidecarPid(home, appId);
    const sent = Date.now();
    process.kill(pid, 'SIGTERM');
    await waitFor('the sidecar to exit', () => !alive(pid), (graceSeconds + 10) * 1000, 20);
    return Date.now() - sent;
  }

  it('waits while the app says busy and exits soon after it says not busy', async () => {
    const elapsed = await timeToExit('busy-then-idle', '1500', 20);
    assert.ok(elapsed >= 1400, `waited for the busy app (${elapsed} ms)`);
    assert.ok(elapsed < 8000, `exited well before the 20 s grace period (${elapsed} ms)`);
  });

  it('gives up at the grace period when the app stays busy', async () => {
    const elapsed = await timeToExit('busy-forever', 'forever', 2);
    assert.ok(elapsed >= 1900, `held on until the grace period (${elapsed} ms)`);
    assert.ok(elapsed < 8000, `but not much longer (${elapsed} ms)`);
  });

  it('exits at once when the app is not busy', async () => {
    const elapsed = await timeToExit('idle', '0', 20);
    assert.ok(elapsed < 5000, `exited promptly (${elapsed} ms)`);
  });
});

describe('pre-stop', () => {
  const dir = tempDir();
  const home = join(dir.path, 'home');
  const running: SidecarHandle[] = [];
  after(async () => {
    await Promise.all(running.map((handle) => handle.stop()));
    dir.cleanup();
  });

  it('drains inbound work, keeps the outbound API, and then stops promptly on SIGTERM', async () => {
    const sidecar = await startRun({
      appId: 'prestopped', resourcesPath: writeStateComponents(dir.path), home, appPort: await freePort(), waitForApp: true,
      appCommand: [process.execPath, lifecycleApp], env: { BUSY_FOR_MS: '500' },
      extraFlags: ['--app-busy-path', '/busy', '--dapr-block-shutdown-duration', '60s'],
    });
    running.push(sidecar);
    const prestop = new Spawned(process.execPath, [cliMain, 'prestop', '--dapr-http-port', String(sidecar.httpPort)], { env: { ...process.env, OUTRIGGER_HOME: home } });
    assert.equal(await prestop.exited, 0, prestop.output);
    assert.match(prestop.output, /"result":"drained"/);
    const refused = await call('GET', `${sidecar.baseUrl}/v1.0/invoke/prestopped/method/hello`);
    assert.equal(refused.status, 503);
    assert.equal(errorOf(refused).errorCode, 'ERR_SIDECAR_SHUTTING_DOWN');
    assert.equal((await call('POST', `${sidecar.baseUrl}/v1.0/state/statestore`, [{ key: 'after-prestop', value: 1 }])).status, 204, 'the outbound API still serves');
    const pid = sidecarPid(home, 'prestopped');
    const sent = Date.now();
    process.kill(pid, 'SIGTERM');
    await waitFor('the sidecar to exit', () => !alive(pid), 20_000, 20);
    assert.ok(Date.now() - sent < 5_000, 'no second drain and no shutdown block after the pre-stop drain');
  });
});
