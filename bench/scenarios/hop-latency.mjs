// Where a two-hop chain's latency goes (run alone: --only=hop-latency). Nothing else runs, and the
// client sends either one request at a time, 16 ms apart (a caller idle between requests, as each of hey's
// workers is at 62.5 req/s), or 16 at once every 16 ms (hey's 16 workers ticking together), through:
//   direct              client ─▶ app
//   nginx               the invocation scenario's nginx: one nginx, two workers, both hops
//   nginx, 2 processes  two single-worker nginx, one per hop, as two sidecars are
//   node proxies        two bare Node proxies (lib/baselines.mjs)
//   outrigger           sidecar A ─▶ sidecar B ─▶ app
// Single: p50/p99 of each request. Burst: the p50, over all bursts, of the first, the middle and the
// last answer of each burst to arrive (each from the burst's start).
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchApps, freePort, sleep, waitForStatus } from '../lib/processes.mjs';
import { startApp, startSidecar } from '../lib/outrigger.mjs';
import { startNodeProxies } from '../lib/baselines.mjs';
import { startNginxHop, startNginxTwoHops } from '../lib/tools.mjs';
import { percentile, summarize } from '../lib/stats.mjs';
import { httpPoster } from './invoke.mjs';

const GAP_MS = 16;
const BURST = 16;

/** Sends `size` POSTs at once every 16 ms, `rounds` times; returns each round's answer times in arrival order. */
async function bursts(url, payload, size, rounds) {
  const client = httpPoster(url, payload, BURST);
  const measured = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const started = performance.now();
      const times = await Promise.all(Array.from({ length: size }, () => client.post().then(() => performance.now() - started)));
      // The first rounds warm the connections and the JIT; they are left out.
      if (round >= rounds / 5) measured.push(times.sort((a, b) => a - b));
      const wait = GAP_MS - (performance.now() - started);
      if (wait > 0) await sleep(wait);
    }
  } finally {
    await client.close();
  }
  return measured;
}

function burstSummary(rounds, position) {
  return percentile(Float64Array.from(rounds.map((times) => times[position])).sort(), 0.5);
}

export async function hopLatency(ctx) {
  const app = await startApp(join(benchApps, 'echo-http.mjs'));
  const [frontPort, middlePort, hopA, hopB] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const nginx = ctx.tools.nginx ? await startNginxTwoHops({ appPort: app.port, frontPort, middlePort, workDir: ctx.workDir }) : undefined;
  const nginxB = ctx.tools.nginx ? startNginxHop({ listenPort: hopB, upstreamPort: app.port, workDir: ctx.workDir }) : undefined;
  const nginxA = ctx.tools.nginx ? startNginxHop({ listenPort: hopA, upstreamPort: hopB, workDir: ctx.workDir }) : undefined;
  const proxies = await startNodeProxies(app.port);
  const sidecarB = await startSidecar({ appId: 'lat-b', home: ctx.home, resourcesPath: ctx.emptyResources, appPort: app.port, waitForApp: true });
  const sidecarA = await startSidecar({ appId: 'lat-a', home: ctx.home, resourcesPath: ctx.emptyResources });
  const paths = {
    direct: `http://127.0.0.1:${app.port}/echo`,
    ...(nginx ? { nginx: `http://127.0.0.1:${frontPort}/echo`, 'nginx, 2 processes': `http://127.0.0.1:${hopA}/echo` } : {}),
    'node proxies': proxies.url('/echo'),
    outrigger: `${sidecarA.baseUrl}/v1.0/invoke/lat-b/method/echo`,
  };
  const raw = {};
  try {
    if (nginx) {
      await waitForStatus(paths.nginx, 200, nginx, 10_000);
      await waitForStatus(paths['nginx, 2 processes'], 200, nginxA, 10_000);
    }
    const rounds = ctx.quick ? 100 : 500;
    for (const [name, url] of Object.entries(paths)) {
      ctx.log(`hop-latency ${name}: ${rounds} single requests ${GAP_MS} ms apart, then ${rounds} bursts of ${BURST}`);
      const single = await bursts(url, ctx.payload, 1, rounds);
      const burst = await bursts(url, ctx.payload, BURST, rounds);
      raw[name] = { single: summarize(single.map((times) => times[0])), burst: { first: burstSummary(burst, 0), middle: burstSummary(burst, BURST / 2 - 1), last: burstSummary(burst, BURST - 1), rounds: burst.length } };
    }
  } finally {
    await Promise.all([sidecarA.stop(), sidecarB.stop(), proxies.stop(), nginx?.stop(), nginxA?.stop(), nginxB?.stop(), app.stop()]);
  }
  const direct = raw.direct;
  const rows = Object.entries(raw).map(([name, r]) => [name, r.single.p50, r.single.p99, r.single.p50 - direct.single.p50, r.burst.first, r.burst.middle, r.burst.last, r.burst.middle - direct.burst.middle]);
  return {
    sections: [{
      title: 'Hop latency: one request at a time, and bursts of 16',
      intro: `1 KB POST echoed by the app; an undici pool of ${BURST} connections in the bench process. Single: one request every ${GAP_MS} ms. Burst: ${BURST} requests at once every ${GAP_MS} ms (how hey's workers send at 1,000 req/s); the p50 over the bursts of the first, the middle and the last answer, each timed from the burst's start. The first fifth of each series is warm-up and left out. nginx: one nginx with two workers for both hops (the invocation scenario's); nginx, 2 processes: one single-worker nginx per hop.`,
      columns: ['path', 'single p50 ms', 'single p99 ms', 'single +p50 over direct', 'burst: first answer ms', 'burst: middle answer ms', 'burst: last answer ms', 'burst middle + over direct'],
      rows,
    }],
    targets: [],
    raw,
  };
}
