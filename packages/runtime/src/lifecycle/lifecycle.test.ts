import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, waitFor } from '@outrigger/kit';
import { AppHealthMonitor } from './app-health-monitor.js';
import { probeBusy, probeHttpPath } from './app-probes.js';
import { drainInbound } from './drain.js';

const logger = createLogger({ scope: 'test', level: 'silent' });

async function serve(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('AppHealthMonitor', () => {
  it('turns healthy on the first good probe and unhealthy after threshold failures in a row', async () => {
    const answers = [false, true, false, false, true, false, false, false];
    const changes: boolean[] = [];
    const monitor = new AppHealthMonitor({
      probe: async () => answers.shift() ?? true, intervalMs: 5, timeoutMs: 100, threshold: 3, logger, onChange: (healthy) => changes.push(healthy),
    });
    monitor.start();
    await waitFor('every answer used', () => answers.length === 0 && changes.length >= 2, 5_000, 5);
    monitor.stop();
    assert.deepEqual(changes, [true, false], 'two failures are below the threshold; three in a row cross it');
  });

  it('counts a probe that takes longer than the timeout as failed', async () => {
    let calls = 0;
    const monitor = new AppHealthMonitor({
      probe: (signal) => new Promise((resolve) => {
        calls++;
        if (calls === 1) resolve(true);
        else signal.addEventListener('abort', () => resolve(false));
      }),
      intervalMs: 5, timeoutMs: 20, threshold: 1, logger, onChange: () => undefined,
    });
    monitor.start();
    await monitor.whenHealthy();
    await waitFor('unhealthy', () => !monitor.healthy, 2_000, 5);
    monitor.stop();
  });
});

describe('app probes', () => {
  const servers: Server[] = [];
  after(() => servers.forEach((server) => server.close()));

  it('reads a health path by status and a busy endpoint by its answer', async () => {
    let busy: unknown = true;
    const { server, port } = await serve((req, res) => {
      if (req.url === '/healthz') res.writeHead(req.headers['dapr-api-token'] === 't' ? 204 : 500).end();
      else if (req.url === '/busy') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ busy }));
      else res.writeHead(200).end('not json');
    });
    servers.push(server);
    const address = { host: '127.0.0.1', port, appApiToken: 't' };
    assert.equal(await probeHttpPath(address, '/healthz', AbortSignal.timeout(1_000)), true);
    assert.equal(await probeHttpPath({ ...address, appApiToken: undefined }, '/healthz', AbortSignal.timeout(1_000)), false);
    assert.equal(await probeBusy(address, '/busy', AbortSignal.timeout(1_000)), true);
    busy = false;
    assert.equal(await probeBusy(address, '/busy', AbortSignal.timeout(1_000)), false);
    assert.equal(await probeBusy(address, '/garbage', AbortSignal.timeout(1_000)), true, 'an unreadable answer counts as busy');
    const gone = await serve((_req, res) => res.end());
    await new Promise((resolve) => gone.server.close(resolve));
    assert.equal(await probeBusy({ ...address, port: gone.port }, '/busy', AbortSignal.timeout(1_000)), false, 'an app that is gone is not busy');
  });
});

describe('drainInbound', () => {
  it('stops inbound work first, then waits for work in flight', async () => {
    const steps: string[] = [];
    let inFlight = 2;
    const result = await drainInbound({
      stopInbound: async () => { steps.push('stop'); },
      inFlight: () => {
        steps.push(`in-flight ${inFlight}`);
        return inFlight > 0 ? inFlight-- : 0;
      },
    }, { graceMs: 5_000, pollMs: 1, logger });
    assert.equal(result, 'drained');
    assert.equal(steps[1], 'stop');
    assert.ok(steps.includes('in-flight 0'));
  });

  it('waits while the app says busy and ends as soon as it says not busy', async () => {
    let answers = 3;
    const started = Date.now();
    const result = await drainInbound({ stopInbound: async () => undefined, inFlight: () => 0, busy: async () => answers-- > 0 }, { graceMs: 5_000, pollMs: 5, logger });
    assert.equal(result, 'drained');
    assert.equal(answers, -1, 'asked until the app said not busy');
    assert.ok(Date.now() - started < 1_000);
  });

  it('gives up at the grace period', async () => {
    const progress: string[] = [];
    const started = Date.now();
    const result = await drainInbound({ stopInbound: async () => undefined, inFlight: () => 0, busy: async () => true },
      { graceMs: 200, pollMs: 10, logger, onProgress: (item) => progress.push(item.step) });
    assert.equal(result, 'timed-out');
    assert.ok(Date.now() - started >= 190);
    assert.equal(progress.at(-1), 'timed-out');
  });

  it('gives up when stopping inbound work itself outlasts the grace period', async () => {
    const result = await drainInbound({ stopInbound: () => new Promise(() => undefined), inFlight: () => 1 }, { graceMs: 50, logger });
    assert.equal(result, 'timed-out');
  });
});
