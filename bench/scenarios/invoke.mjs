// Scenario 1, service invocation. The load tool plays app A:
//   direct:    load ─▶ app B
//   nginx:     load ─▶ nginx hop A ─▶ nginx hop B ─▶ app B        (upstream keep-alive on both hops)
//   node proxies: load ─▶ bare Node proxy A ─▶ bare Node proxy B ─▶ app B   (the plain-Node baseline)
//   outrigger: load ─▶ sidecar A ─▶ sidecar B ─▶ app B             (/v1.0/invoke/bench-b/method/echo)
// (a) latency at a fixed 1,000 requests/s over 16 connections: hey (standard tool) and the open-loop
// node generator (no coordinated omission); (b) max throughput with wrk at 16 and 64 connections.
// gRPC: grpc-js direct to a gRPC echo app, versus InvokeService through two sidecars to app B, versus a
// proxied gRPC call (dapr-app-id) through two sidecars to the gRPC echo app.
import { join } from 'node:path';
import { Pool } from 'undici';
import { startNginxTwoHops, hey, wrk } from '../lib/tools.mjs';
import { benchApps, freePort, waitForStatus } from '../lib/processes.mjs';
import { startApp, startSidecar } from '../lib/outrigger.mjs';
import { startNodeProxies } from '../lib/baselines.mjs';
import { closedLoop, constantRate, ratio, summarize } from '../lib/stats.mjs';
import { grpcClient, invokeServiceRequest, waitForGrpc } from '../lib/grpc.mjs';
import { times } from '../lib/report.mjs';

const RATE = 1_000;
const CONNECTIONS = 16;

/** Starts app B, the gRPC echo app, three sidecars, nginx and the bare Node proxies; returns the endpoints and a stop function. */
export async function startInvocationTopology(ctx) {
  const app = await startApp(join(benchApps, 'echo-http.mjs'));
  const grpcApp = await startApp(join(benchApps, 'echo-grpc.mjs'));
  const [sidecarB, sidecarA, sidecarG] = await Promise.all([
    startSidecar({ appId: 'bench-b', home: ctx.home, resourcesPath: ctx.emptyResources, appPort: app.port, waitForApp: true }),
    startSidecar({ appId: 'bench-a', home: ctx.home, resourcesPath: ctx.emptyResources }),
    startSidecar({ appId: 'bench-g', home: ctx.home, resourcesPath: ctx.emptyResources, appPort: grpcApp.port, extraFlags: ['--app-protocol', 'grpc'], waitForApp: true }),
  ]);
  const frontPort = await freePort();
  const nginx = ctx.tools.nginx ? await startNginxTwoHops({ appPort: app.port, frontPort, middlePort: await freePort(), workDir: ctx.workDir }) : undefined;
  if (nginx) await waitForStatus(`http://127.0.0.1:${frontPort}/echo`, 200, nginx, 10_000);
  const nodeProxies = await startNodeProxies(app.port);
  await waitForGrpc(sidecarA.grpcPort);
  const endpoints = {
    direct: `http://127.0.0.1:${app.port}/echo`,
    nginx: nginx ? `http://127.0.0.1:${frontPort}/echo` : undefined,
    'node proxies': nodeProxies.url('/echo'),
    outrigger: `${sidecarA.baseUrl}/v1.0/invoke/bench-b/method/echo`,
  };
  const stop = () => Promise.all([app.stop(), grpcApp.stop(), sidecarA.stop(), sidecarB.stop(), sidecarG.stop(), nginx?.stop(), nodeProxies.stop()]);
  return { app, grpcApp, sidecarA, sidecarB, sidecarG, nginx, nodeProxies, endpoints, stop };
}

/** An HTTP POST of the payload on a pool of `connections`, checking status and echoed length. */
export function httpPoster(url, payload, connections) {
  const { origin, pathname } = new URL(url);
  const pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const headers = { 'content-type': 'application/octet-stream' };
  const post = async () => {
    const answer = await pool.request({ method: 'POST', path: pathname, headers, body: payload });
    const body = await answer.body.arrayBuffer();
    if (answer.statusCode !== 200 || body.byteLength !== payload.length) throw new Error(`answer ${answer.statusCode}, ${body.byteLength} bytes`);
  };
  return { post, close: () => pool.close() };
}

function overheadRows(results, variants) {
  const direct = results.direct;
  return variants.filter((name) => results[name]).map((name) => {
    const r = results[name];
    return [name, r.rate, r.p50, r.p90, r.p99, name === 'direct' ? 0 : r.p50 - direct.p50, name === 'direct' ? 0 : r.p99 - direct.p99, r.errors];
  });
}

/** The HTTP half only (for before/after runs of hot-path changes): `--only=invoke-http`. */
export function httpInvocation(ctx) {
  return invocation({ ...ctx, skipGrpc: true });
}

export async function invocation(ctx) {
  const topology = await startInvocationTopology(ctx);
  const { endpoints } = topology;
  const variants = ['direct', 'nginx', 'node proxies', 'outrigger'].filter((name) => endpoints[name]);
  const raw = { hey: {}, openLoop: {}, max: {}, grpc: {} };
  try {
    for (const name of variants) {
      ctx.log(`invoke http ${name}: hey at ${RATE}/s`);
      const { latencies, errors } = await hey(endpoints[name], { connections: CONNECTIONS, rate: RATE, seconds: ctx.seconds, bodyFile: ctx.payloadFile });
      raw.hey[name] = { ...summarize(latencies), rate: latencies.length / ctx.seconds, errors };
    }
    for (const name of variants) {
      ctx.log(`invoke http ${name}: open loop at ${RATE}/s`);
      const client = httpPoster(endpoints[name], ctx.payload, CONNECTIONS);
      raw.openLoop[name] = await constantRate(client.post, { rate: RATE, seconds: ctx.seconds, warmupSeconds: ctx.warmupSeconds });
      await client.close();
    }
    for (const connections of [16, 64]) {
      for (const name of variants) {
        ctx.log(`invoke http ${name}: wrk max at ${connections} connections`);
        raw.max[`${name}@${connections}`] = await wrk(endpoints[name], { connections, seconds: ctx.seconds, body: ctx.payload.toString('latin1'), headers: { 'content-type': 'application/octet-stream' }, workDir: ctx.workDir });
      }
    }
    if (!ctx.skipGrpc) await grpcRuns(ctx, topology, raw.grpc);
  } finally {
    await topology.stop();
  }
  return report(raw, variants);
}

async function grpcRuns(ctx, topology, out) {
  const direct = grpcClient(topology.grpcApp.port);
  const viaSidecar = grpcClient(topology.sidecarA.grpcPort);
  const invokeBytes = invokeServiceRequest('bench-b', 'echo', ctx.payload);
  const calls = {
    direct: () => direct.unary('/bench.Echo/Echo', ctx.payload),
    invokeService: () => viaSidecar.unary('/dapr.proto.runtime.v1.Dapr/InvokeService', invokeBytes),
    proxied: () => viaSidecar.unary('/bench.Echo/Echo', ctx.payload, { 'dapr-app-id': 'bench-g' }),
  };
  try {
    for (const [name, call] of Object.entries(calls)) {
      const answer = await call();
      if (answer.length < ctx.payload.length) throw new Error(`gRPC ${name}: short answer (${answer.length} bytes)`);
      ctx.log(`invoke grpc ${name}: open loop at ${RATE}/s`);
      out[`${name}@rate`] = await constantRate(call, { rate: RATE, seconds: ctx.seconds, warmupSeconds: ctx.warmupSeconds });
      for (const concurrency of [16, 64]) {
        ctx.log(`invoke grpc ${name}: max at ${concurrency} in flight`);
        out[`${name}@${concurrency}`] = await closedLoop(call, { concurrency, seconds: ctx.seconds, warmupSeconds: ctx.warmupSeconds });
      }
    }
  } finally {
    direct.close();
    viaSidecar.close();
  }
}

function report(raw, variants) {
  const latencyColumns = ['path', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', '+p50 ms over direct', '+p99 ms over direct', 'errors'];
  const heyOut = raw.hey;
  const overhead = (table, name, key) => (table[name] && table.direct ? table[name][key] - table.direct[key] : NaN);
  const overheadNotes = (table) => ['outrigger', 'node proxies'].filter((name) => table[name]).map((name) => `${name === 'outrigger' ? 'Outrigger' : 'Bare Node proxies'} overhead / nginx two-hop overhead: p50 ${times(ratio(overhead(table, name, 'p50'), overhead(table, 'nginx', 'p50')))}, p99 ${times(ratio(overhead(table, name, 'p99'), overhead(table, 'nginx', 'p99')))}.`);
  const maxRows = [];
  for (const connections of [16, 64]) {
    for (const name of variants) {
      const r = raw.max[`${name}@${connections}`];
      maxRows.push([name, connections, r.rate, r.p50, r.p99, times(ratio(r.rate, raw.max[`direct@${connections}`].rate)), times(ratio(r.rate, raw.max[`nginx@${connections}`]?.rate)), r.errors]);
    }
  }
  const grpcRows = [];
  for (const name of ['direct', 'invokeService', 'proxied']) {
    const atRate = raw.grpc[`${name}@rate`];
    if (!atRate) continue;
    grpcRows.push([name, atRate.rate, atRate.p50, atRate.p90, atRate.p99, name === 'direct' ? 0 : atRate.p50 - raw.grpc['direct@rate'].p50, name === 'direct' ? 0 : atRate.p99 - raw.grpc['direct@rate'].p99,
      raw.grpc[`${name}@16`].rate, raw.grpc[`${name}@64`].rate, times(ratio(raw.grpc[`${name}@64`].rate, raw.grpc['direct@64'].rate)), atRate.errors + raw.grpc[`${name}@16`].errors + raw.grpc[`${name}@64`].errors]);
  }
  const sections = [
    {
      title: '1a. HTTP invocation latency at 1,000 req/s, 16 connections (hey)',
      intro: 'hey -c 16 -q 62.5 (per-worker rate), 1 KB POST echoed by app B. Overheads are against direct in the same run.',
      columns: latencyColumns,
      rows: overheadRows(heyOut, variants),
      notes: overheadNotes(heyOut),
    },
    {
      title: '1a. HTTP invocation latency at 1,000 req/s, 16 connections (open loop)',
      intro: 'The node open-loop generator (undici pool of 16 connections, evenly spaced sends, latency from the scheduled start: no coordinated omission), in the bench process.',
      columns: latencyColumns,
      rows: overheadRows(raw.openLoop, variants),
      notes: overheadNotes(raw.openLoop),
    },
    {
      title: '1b. HTTP invocation max throughput (wrk, closed loop)',
      intro: 'wrk -t1, 1 KB POST, each connection sends its next request when the last answered. `node proxies`: two bare Node forwarding proxies (bench/apps/bare-proxy.mjs), one process per hop as with sidecars.',
      columns: ['path', 'connections', 'req/s', 'p50 ms', 'p99 ms', 'vs direct', 'vs nginx', 'errors'],
      rows: maxRows,
    },
    {
      title: '1c. gRPC invocation (grpc-js load loop)',
      intro: 'One grpc-js channel (one HTTP/2 connection); rate columns from the open-loop generator at 1,000 calls/s, max columns from a closed loop with 16 and 64 calls in flight. '
        + '`direct`: grpc-js to a grpc-js echo app. `invokeService`: Dapr InvokeService on sidecar A to app B (HTTP) through sidecar B. `proxied`: the echo method called on sidecar A with `dapr-app-id`, proxied through sidecar B to the gRPC echo app.',
      columns: ['path', 'calls/s', 'p50 ms', 'p90 ms', 'p99 ms', '+p50 ms', '+p99 ms', 'max/s @16', 'max/s @64', '@64 vs direct', 'errors'],
      rows: grpcRows,
    },
  ];
  const targets = [];
  const nodeOver = (key) => overhead(heyOut, 'node proxies', key);
  const nodeFloor = (key) => (heyOut['node proxies'] ? `node proxies +${nodeOver(key).toFixed(2)} ms` : undefined);
  const p50Over = overhead(heyOut, 'outrigger', 'p50');
  const p99Over = overhead(heyOut, 'outrigger', 'p99');
  targets.push({ name: 'invocation +p50 over direct at 1,000 rps (hey)', bar: '< 1.06 ms', measured: `${p50Over.toFixed(2)} ms`, pass: p50Over < 1.06, floor: nodeFloor('p50') });
  targets.push({ name: 'invocation +p99 over direct at 1,000 rps (hey)', bar: '< 2.90 ms', measured: `${p99Over.toFixed(2)} ms`, pass: p99Over < 2.90, floor: nodeFloor('p99') });
  if (heyOut.nginx) {
    // Compared as overhead ≤ 1.5 × nginx's overhead, so an nginx overhead at or below zero (within the
    // noise of direct) makes the bar unreachable rather than turning a negative ratio into a pass.
    const shownRatio = (ours, theirs) => (theirs > 0 ? times(ours / theirs) : `n/a (nginx +${theirs.toFixed(2)} ms)`);
    for (const key of ['p50', 'p99']) {
      const ours = overhead(heyOut, 'outrigger', key);
      const theirs = overhead(heyOut, 'nginx', key);
      targets.push({ name: `invocation overhead / nginx two-hop overhead, ${key} (hey)`, bar: '≤ 1.5×', measured: `${shownRatio(ours, theirs)}: +${ours.toFixed(2)} vs +${theirs.toFixed(2)} ms`, pass: ours <= 1.5 * theirs,
        floor: heyOut['node proxies'] ? `node proxies ${shownRatio(nodeOver(key), theirs)}` : undefined });
    }
    for (const connections of [16, 64]) {
      const nginxRate = raw.max[`nginx@${connections}`].rate;
      const share = ratio(raw.max[`outrigger@${connections}`].rate, nginxRate);
      const nodeShare = ratio(raw.max[`node proxies@${connections}`]?.rate, nginxRate);
      targets.push({ name: `max invocation throughput vs nginx two hops, ${connections} connections (wrk)`, bar: '≥ 50%', measured: `${(share * 100).toFixed(0)}%`, pass: share >= 0.5,
        floor: Number.isFinite(nodeShare) ? `node proxies ${(nodeShare * 100).toFixed(0)}%` : undefined });
    }
  }
  return { sections, targets, raw };
}
