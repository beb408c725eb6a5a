// Where the invocation CPU goes (run alone: --only=hop-cost): the same two-hop chain (A, B, echo app)
// through two bare Node forwarding proxies (bench/apps/bare-proxy.mjs), through two sidecars, and
// through two sidecars with metrics off; wrk at 16 connections, max throughput and the CPU seconds
// each hop spends per 1,000 requests (utime + stime from /proc). Rounds alternate the chains; --baseline=<checkout> adds that build's sidecars as one more.
import { join } from 'node:path';
import { benchApps, cpuSeconds } from '../lib/processes.mjs';
import { startNodeProxies } from '../lib/baselines.mjs';
import { startApp, startSidecar } from '../lib/outrigger.mjs';
import { median } from '../lib/stats.mjs';
import { wrk } from '../lib/tools.mjs';

async function sidecarChain(ctx, appPort, round, extraFlags, cli) {
  const appId = `hop-b-${round}-${extraFlags.length}${cli ? '-baseline' : ''}`;
  const B = await startSidecar({ appId, home: ctx.home, resourcesPath: ctx.emptyResources, appPort, waitForApp: true, extraFlags, cli });
  const A = await startSidecar({ appId: `hop-a-${round}-${extraFlags.length}${cli ? '-baseline' : ''}`, home: ctx.home, resourcesPath: ctx.emptyResources, extraFlags, cli });
  return { url: `${A.baseUrl}/v1.0/invoke/${appId}/method/echo`, pids: [A.child.pid, B.child.pid], stop: () => Promise.all([A.stop(), B.stop()]) };
}

export async function hopCost(ctx) {
  const chains = {
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
  for (let round = 0; round < rounds; round++) {
    for (const [name, start] of Object.entries(chains)) {
      const app = await startApp(join(benchApps, 'echo-http.mjs'));
      const chain = await start(app.port, round);
      try {
        ctx.log(`hop-cost: ${name}, round ${round + 1}`);
        const before = chain.pids.map(cpuSeconds);
        const load = await wrk(chain.url, { connections: 16, seconds: ctx.seconds, body: ctx.payload.toString('latin1'), headers: { 'content-type': 'application/octet-stream' }, workDir: ctx.workDir });
        const requests = load.rate * ctx.seconds;
        const [cpuA, cpuB] = chain.pids.map((pid, index) => ((cpuSeconds(pid) - before[index]) / requests) * 1_000);
        measured[name].push({ rate: load.rate, cpuA, cpuB });
      } finally {
        await chain.stop();
        await app.stop();
      }
    }
  }
  const bare = median(measured['bare node proxies'].map((run) => run.rate));
  const rows = Object.entries(measured).map(([name, runs]) => {
    const rate = median(runs.map((run) => run.rate));
    return [name, rate, rate / bare, median(runs.map((run) => run.cpuA)), median(runs.map((run) => run.cpuB)), runs.map((run) => Math.round(run.rate)).join(', '), runs.map((run) => run.cpuB.toFixed(2)).join(', ')];
  });
  return {
    sections: [{
      title: 'Hop cost: sidecars against bare Node proxies',
      intro: `wrk -t1 -c16, 1 KB POST echoed by the app, ${ctx.seconds} s per run, ${rounds} rounds alternating the chains; medians. CPU is per 1,000 requests for each hop (A takes the request, B hands it to the app).`,
      columns: ['chain', 'req/s', 'vs bare proxies', 'A CPU s per 1,000 req', 'B CPU s per 1,000 req', 'req/s of each round', 'B CPU of each round'],
      rows,
    }],
    targets: [],
    raw: measured,
  };
}
