// Instructions per request in each hop of the two-hop chain (run alone: --only=hop-instructions): nginx
// (one single-worker process per hop), two bare Node proxies, two sidecars, two sidecars with metrics
// off, and with --baseline another build's sidecars. Both hops run under valgrind's callgrind (the app
// and the load loop do not); a warm-up, then a fixed number of 1 KB POSTs on the same 16 connections
// while the hops count, then the chain idles as long as the load took while they count again. The
// count is about 50 times slower than the hop runs natively, so work done per second (timers, metrics
// sampling) weighs 50 times more per request than it does natively: "less idle" takes out what the
// same stretch of idling costs. Unlike CPU seconds on this VM, a count repeats within about 1%, so a
// change of a few percent in the hot path shows in one run. A last sidecar chain runs with
// --perf-basic-prof, and each hop's top functions by self cost go into the report.
import { join } from 'node:path';
import { startNodeProxies } from '../lib/baselines.mjs';
import { callgrindAvailable, callgrindPrefix, dumpInstructions, setCounting } from '../lib/callgrind.mjs';
import { profileDump } from '../lib/callgrind-profile.mjs';
import { startNginxChain, startSidecarChain } from '../lib/chains.mjs';
import { benchApps, mkdirp, sleep } from '../lib/processes.mjs';
import { startApp } from '../lib/outrigger.mjs';
import { countedLoop, median } from '../lib/stats.mjs';
import { Pool } from 'undici';

/** Under callgrind a sidecar takes 20–40 s to start, a bare proxy several. */
const readyTimeoutMs = 180_000;

/** The chain options for hops under callgrind: slow to start and to stop. */
const counted = (prefix) => ({ prefix, readyTimeoutMs, pollMs: 250, graceMs: 30_000 });

/**
 * Sends `requests` 1 KB POSTs, 16 at a time, on the pool's 16 connections; fails on any answer but 200.
 * The warm-up and the counted requests share the connections: new ones make V8 drop some of the
 * sidecar's optimised code (the first requests on a connection take other paths), and its compiling
 * again would be counted. Returns the seconds it took.
 */
async function send(ctx, pool, path, requests) {
  const started = process.hrtime.bigint();
  await countedLoop(async () => {
    const answer = await pool.request({ method: 'POST', path, body: ctx.payload, headers: { 'content-type': 'application/octet-stream' } });
    await answer.body.dump();
    if (answer.statusCode !== 200) throw new Error(`${path} answered ${answer.statusCode}`);
  }, { concurrency: 16, count: requests });
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/**
 * Counts one freshly started chain: instructions per request in each hop, with and without idling; or,
 * with `profile`, each hop's self cost by function over the counted requests (the hops must run node
 * with --perf-basic-prof so compiled JavaScript has names).
 */
async function countChain(ctx, start, { warmup, requests }, profile = false) {
  const dir = mkdirp(join(ctx.workDir, `callgrind-${Date.now()}`));
  const app = await startApp(join(benchApps, 'echo-http.mjs'));
  try {
    const chain = await start(callgrindPrefix(dir), app.port);
    const { origin, pathname } = new URL(chain.url);
    const pool = new Pool(origin, { connections: 16, headersTimeout: 600_000, bodyTimeout: 600_000 });
    try {
      await send(ctx, pool, pathname, warmup);
      await Promise.all(chain.pids.map((pid) => setCounting(pid, true)));
      // Counting starts in each hop a moment apart, with no request in flight: nothing is half counted.
      const seconds = await send(ctx, pool, pathname, requests);
      const loadDumps = await Promise.all(chain.pids.map((pid) => dumpInstructions(dir, pid)));
      if (profile) return await Promise.all(loadDumps.map(({ file }, hop) => profileDump(file, chain.pids[hop])));
      await sleep(seconds * 1_000);
      const idleDumps = await Promise.all(chain.pids.map((pid) => dumpInstructions(dir, pid)));
      await Promise.all(chain.pids.map((pid) => setCounting(pid, false)));
      const [load, idle] = [loadDumps, idleDumps].map((dumps) => dumps.map((dump) => dump.instructions));
      return chain.pids.map((_, hop) => ({ perRequest: load[hop] / requests, lessIdle: (load[hop] - idle[hop]) / requests, idlePerSecond: idle[hop] / seconds, seconds }));
    } finally {
      await pool.close();
      await chain.stop();
    }
  } finally {
    await app.stop();
  }
}

export async function hopInstructions(ctx) {
  if (!callgrindAvailable()) return { sections: [{ title: 'Hop instructions: skipped', notes: ['valgrind is not installed (apt-get install valgrind)'] }], targets: [], raw: {} };
  const chains = {
    ...(ctx.tools.nginx ? { 'nginx, one process per hop': (prefix, appPort) => startNginxChain(ctx, appPort, counted(prefix)) } : {}),
    'bare node proxies': async (prefix, appPort) => {
      const proxies = await startNodeProxies(appPort, { prefix, readyTimeoutMs });
      return { url: proxies.url('/echo'), pids: proxies.pids, stop: proxies.stop };
    },
    sidecars: (prefix, appPort) => startSidecarChain(ctx, appPort, { ...counted(prefix), tag: `${Date.now()}` }),
    'sidecars, metrics off': (prefix, appPort) => startSidecarChain(ctx, appPort, { ...counted(prefix), tag: `${Date.now()}-nometrics`, extraFlags: ['--enable-metrics=false'] }),
    ...(ctx.baselineCli ? { 'sidecars, baseline build': (prefix, appPort) => startSidecarChain(ctx, appPort, { ...counted(prefix), tag: `${Date.now()}-baseline`, cli: ctx.baselineCli }) } : {}),
  };
  // A sidecar's count per request settles only after about 10,000 requests: after 3,000, TurboFan was still
  // compiling and the warm-up's garbage was being marked, and B counted 263k instructions a request
  // against 165k after 10,000.
  const sizes = ctx.quick ? { warmup: 2_000, requests: 500 } : { warmup: 10_000, requests: 2_000 };
  const rounds = ctx.rounds ?? (ctx.quick ? 1 : 2);
  const measured = Object.fromEntries(Object.keys(chains).map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, start] of Object.entries(chains)) {
      ctx.log(`hop-instructions: ${name}, round ${round + 1}`);
      measured[name].push(await countChain(ctx, start, sizes));
    }
  }
  // One more sidecar chain, profiled: --perf-basic-prof names compiled JavaScript, and its code logging
  // would count in the figures above, so it runs apart from them. The log V8 then writes goes to the
  // run's work dir, not to isolate-*.log files in the current directory.
  ctx.log('hop-instructions: sidecars, profiled');
  const profiling = ['--perf-basic-prof', '--no-logfile-per-isolate', `--logfile=${join(ctx.workDir, 'v8.log')}`];
  const profiles = await countChain(ctx, (prefix, appPort) => startSidecarChain(ctx, appPort, { ...counted(prefix), tag: `${Date.now()}-profiled`, nodeArgs: profiling }), sizes, true);
  const perHop = (runs, hop, field) => median(runs.map((run) => run[hop][field]));
  const bareTotal = perHop(measured['bare node proxies'], 0, 'lessIdle') + perHop(measured['bare node proxies'], 1, 'lessIdle');
  const thousands = (value) => Math.round(value / 1_000);
  const rows = Object.entries(measured).map(([name, runs]) => {
    const [a, b] = [perHop(runs, 0, 'lessIdle'), perHop(runs, 1, 'lessIdle')];
    return [name, thousands(a), thousands(b), (a + b) / bareTotal, thousands(perHop(runs, 0, 'perRequest')), thousands(perHop(runs, 1, 'perRequest')),
      thousands(perHop(runs, 0, 'idlePerSecond') + perHop(runs, 1, 'idlePerSecond')), runs.map((run) => thousands(run[0].lessIdle + run[1].lessIdle)).join(', ')];
  });
  return {
    sections: [{
      title: 'Hop instructions: user-space instructions per request in each hop (callgrind)',
      intro: `Both hops under callgrind, the app and the load loop not. ${sizes.warmup} requests of warm-up, then ${sizes.requests} 1 KB POSTs on the same 16 connections (undici Pool in the bench process, 16 in flight) counted, then as long again idle, counted; ${rounds} round(s), medians. Figures are thousands of instructions per request; "less idle" takes out what the hop executes in the same time with no traffic (timers and sampling that run per second, not per request, and weigh about 50 times more under callgrind than natively). Kernel time is not counted.`,
      columns: ['chain', 'A, less idle (k instr/req)', 'B, less idle', 'both vs bare proxies', 'A, raw', 'B, raw', 'idle, both hops (k instr/s)', 'A + B less idle, each round'],
      rows,
    }, ...['A (takes the request)', 'B (calls the app)'].map((hop, index) => profileSection(`sidecar ${hop}`, profiles[index], sizes.requests))],
    targets: [],
    raw: { ...measured, profiles: profiles.map((costs) => costs.slice(0, 100)) },
  };
}

/** The top self costs of one profiled hop, per request, with each one's share. */
function profileSection(hop, costs, requests) {
  const total = costs.reduce((sum, [, instructions]) => sum + instructions, 0);
  return {
    title: `Hop instructions: where ${hop}'s instructions go (self cost, top 25)`,
    intro: `The counted requests of a separate sidecar chain run with --perf-basic-prof (so compiled JavaScript has names), ${Math.round(total / requests / 1_000)}k instructions per request in all. "JS:*" is optimised JavaScript, "Builtins_" V8's built-in code, the rest C++ (V8, node, libc); "generated code, unnamed" is code the perf map does not list (WebAssembly: undici's HTTP parser).`,
    columns: ['function', 'instructions per request', 'share'],
    rows: costs.slice(0, 25).map(([name, instructions]) => [name.length > 120 ? `${name.slice(0, 117)}...` : name, Math.round(instructions / requests), `${(100 * instructions / total).toFixed(1)}%`]),
  };
}
