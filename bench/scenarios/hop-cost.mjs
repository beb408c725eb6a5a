// Where the invocation CPU goes (run alone: --only=hop-cost): the same two-hop chain (A, B, echo app)
// through nginx (one single-worker process per hop), through two bare Node forwarding proxies
// (bench/apps/bare-proxy.mjs), through two sidecars, and through two sidecars with metrics off; wrk at
// 16 connections, max throughput, the CPU seconds each hop and the app spend per 1,000 requests
// (utime + stime from /proc), and the share of the machine left idle. Rounds alternate the chains;
// --baseline=<checkout> adds that build's sidecars as one more.
import { join } from 'node:path';
import { benchApps, cpuSeconds, machineCpu } from '../lib/processes.mjs';
import { startNodeProxies } from '../lib/baselines.mjs';
import { startNginxChain, startSidecarChain } from '../lib/chains.mjs';
import { startApp } from '../lib/outrigger.mjs';
import { median } from '../lib/stats.mjs';
import { wrk } from '../lib/tools.mjs';

export async function hopCost(ctx) {
  const chains = {
    ...(ctx.tools.nginx ? { 'nginx, one process per hop': (appPort) => startNginxChain(ctx, appPort) } : {}),
    'bare node proxies': async (appPort) => {
      const proxies = await startNodeProxies(appPort);
      return { url: proxies.url('/echo'), pids: proxies.pids, stop: proxies.stop };
    },
    sidecars: (appPort, round) => startSidecarChain(ctx, appPort, { tag: `${round}` }),
    'sidecars, metrics off': (appPort, round) => startSidecarChain(ctx, appPort, { tag: `${round}-nometrics`, extraFlags: ['--enable-metrics=false'] }),
    ...(ctx.baselineCli ? { 'sidecars, baseline build': (appPort, round) => startSidecarChain(ctx, appPort, { tag: `${round}-baseline`, cli: ctx.baselineCli }) } : {}),
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
