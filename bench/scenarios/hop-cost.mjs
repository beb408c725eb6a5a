// Where the invocation CPU goes (run alone: --only=hop-cost): the same two-hop chain (A, B, echo app)
// through nginx (one single-worker process per hop), through two bare Node forwarding proxies
// (bench/apps/bare-proxy.mjs), through two sidecars, and through two sidecars with metrics off; wrk at
// 16 connections, max throughput, the CPU seconds each hop and the app spend per 1,000 requests
// (utime + stime from /proc), and the share of the machine left idle. Rounds alternate the chains;
// --baseline=<checkout> adds that build's sidecars as one more.
import { join } from 'node:path';
import { benchApps, childPids, cpuSeconds, freePort, machineCpu, waitForStatus } from '../lib/processes.mjs';
import { startNodeProxies } from '../lib/baselines.mjs';
import { startApp, startSidecar } from '../lib/outrigger.mjs';
import { median } from '../lib/stats.mjs';
import { startNginxHop, wrk } from '../lib/tools.mjs';

async function sidecarChain(ctx, appPort, round, extraFlags, cli) {
  const appId = `hop-b-${round}-${extraFlags.length}${cli ? '-baseline' : ''}`;
  const B = await startSidecar({ appId, home: ctx.home, resourcesPath: ctx.emptyResources, appPort, waitForApp: true, extraFlags, cli });
  const A = await startSidecar({ appId: `hop-a-${round}-${extraFlags.length}${cli ? '-baseline' : ''}`, home: ctx.home, resourcesPath: ctx.emptyResources, extraFlags, cli });
  return { url: `${A.baseUrl}/v1.0/invoke/${appId}/method/echo`, pids: [A.child.pid, B.child.pid], stop: () => Promise.all([A.stop(), B.stop()]) };
}

/** Two single-worker nginx hops; the pids measured are the workers' (the masters only wait). */
async function nginxChain(ctx, appPort) {
  const [portA, portB] = [await freePort(), await freePort()];
  const B = startNginxHop({ listenPort: portB, upstreamPort: appPort, workDir: ctx.workDir });
  const A = startNginxHop({ listenPort: portA, upstreamPort: portB, workDir: ctx.workDir });
  const stop = () => Promise.all([A.stop(), B.stop()]);
  const url = `http://127.0.0.1:${portA}/echo`;
  try {
    await waitForStatus(url, 200, A, 10_000);
    return { url, pids: [A, B].map((master) => childPids(master.pid)[0]), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function hopCost(ctx) {
  const chains = {
    ...(ctx.tools.nginx ? { 'nginx, one process per hop': (appPort) => nginxChain(ctx, appPort) } : {}),
    'bare node proxies': async (appPort) => {
      const proxies = await startNodeProxies(appPort);
      return { url: proxies.url('/echo'), pids: proxies.pids, stop: proxies.stop };
    },
    sidecars: (appPort, round) => sidecarChain(ctx, appPort, round, []),
    'sidecars, metrics off': (appPort, round) => sidecarChain(ctx, appPort, round, ['--enable-metrics=false']),
    ...(ctx.baselineCli ? { 'sidecars, baseline build': (appPort, round) => sidecarChain(ctx, appPort, round, [], ctx.baselineCli) } : {}),
  };
  const measured = Object.fromEntries(Object.keys(chains).map((name) => [name, []]));
  const rounds = ctx.rounds ?? (ctx.quick ? 1 : 3);
  // Every chain starts fresh each round: a warm-up first, so JIT compiling and the first connections are not measured.
  const warmupSeconds = Math.max(1, Math.round(ctx.warmupSeconds));
  for (let round = 0; round < rounds; round++) {
    for (const [name, start] of Object.entries(chains)) {
      const app = await startApp(join(benchApps, 'echo-http.mjs'));
      const chain = await start(app.port, round);
      try {
        ctx.log(`hop-cost: ${name}, round ${round + 1}`);
        const wrkOptions = { connections: 16, body: ctx.payload.toString('latin1'), headers: { 'content-type': 'application/octet-stream' }, workDir: ctx.workDir };
        await wrk(chain.url, { ...wrkOptions, seconds: warmupSeconds });
        const pids = [...chain.pids, app.child.pid];
        const before = pids.map(cpuSeconds);
        const machineBefore = machineCpu();
        const load = await wrk(chain.url, { ...wrkOptions, seconds: ctx.seconds });
        const machineAfter = machineCpu();
        const requests = load.rate * ctx.seconds;
        const [cpuA, cpuB, cpuApp] = pids.map((pid, index) => ((cpuSeconds(pid) - before[index]) / requests) * 1_000);
        const idleShare = (machineAfter.idle - machineBefore.idle) / (machineAfter.total - machineBefore.total);
        measured[name].push({ rate: load.rate, cpuA, cpuB, cpuApp, idleShare });
      } finally {
        await chain.stop();
        await app.stop();
      }
    }
  }
  const bare = median(measured['bare node proxies'].map((run) => run.rate));
  const rows = Object.entries(measured).map(([name, runs]) => {
    const rate = median(runs.map((run) => run.rate));
    return [name, rate, rate / bare, median(runs.map((run) => run.cpuA)), median(runs.map((run) => run.cpuB)), median(runs.map((run) => run.cpuApp)),
      `${Math.round(median(runs.map((run) => run.idleShare)) * 100)}%`, runs.map((run) => Math.round(run.rate)).join(', '), runs.map((run) => run.cpuB.toFixed(2)).join(', ')];
  });
  return {
    sections: [{
      title: 'Hop cost: sidecars against nginx and bare Node proxies',
      intro: `wrk -t1 -c16, 1 KB POST echoed by the app, ${ctx.seconds} s per run after a ${warmupSeconds} s warm-up, ${rounds} rounds alternating the chains; medians. CPU is per 1,000 requests for each hop (A takes the request, B hands it to the app) and for the app; for nginx, its worker processes'. "Machine idle" is the share of all cores' time left idle while wrk ran (/proc/stat): a chain that leaves cores idle at 16 connections is held back by the time a request waits between processes, not by CPU.`,
      columns: ['chain', 'req/s', 'vs bare proxies', 'A CPU s per 1,000 req', 'B CPU s per 1,000 req', 'app CPU s per 1,000 req', 'machine idle', 'req/s of each round', 'B CPU of each round'],
      rows,
    }],
    targets: [],
    raw: measured,
  };
}
