// Scenario 1, service invocation. The load tool plays app A:
//   direct:    load ─▶ app B
//   nginx:     load ─▶ nginx hop A ─▶ nginx hop B ─▶ app B        (upstream keep-alive on both hops)
//   node proxies: load ─▶ bare Node proxy A ─▶ bare Node proxy B ─▶ app B   (the plain-Node baseline)
//   outrigger: load ─▶ sidecar A ─▶ sidecar B ─▶ app B             (/v1.0/invoke/bench-b/method/echo)
// (a) latency at a fixed 1,000 requests/s over 16 connections: hey (standard tool) and the open-loop
// node generator (no coordinated omission); (b) max throughput with wrk at 16 and 64 connections. The
// HTTP measures run in rounds alternating the paths (httpRoundPlan), reported by invoke-report.mjs.
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
import { httpInvocationReport, httpRoundPlan } from './invoke-report.mjs';

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

/** The HTTP half only (for before/after runs of hot-path changes): `--only=invoke-http`. */
export function httpInvocation(ctx) {
  return invocation({ ...ctx, skipGrpc: true });
}

export async function invocation(ctx) {
  const topology = await startInvocationTopology(ctx);
  const { endpoints } = topology;
  const variants = ['direct', 'nginx', 'node proxies', 'outrigger'].filter((name) => endpoints[name]);
  const grpc = {};
  let http;
  try {
    http = await httpRounds(ctx, endpoints, variants);
    if (!ctx.skipGrpc) await grpcRuns(ctx, topology, grpc);
  } finally {
    await topology.stop();
  }
  const httpReport = httpInvocationReport(http, variants);
  return { sections: [...httpReport.sections, ...grpcSections(grpc)], targets: httpReport.targets, raw: { ...httpReport.raw, grpc } };
}

/** hey, open loop and wrk max on every path, in rounds; returns each round's figures per path. */
async function httpRounds(ctx, endpoints, variants) {
  const plan = httpRoundPlan(ctx);
  const perPath = () => Object.fromEntries(variants.map((name) => [name, []]));
  const figures = { plan, hey: perPath(), heyLatencies: perPath(), openLoop: perPath(), max: { 16: perPath(), 64: perPath() } };
  for (let round = 0; round < plan.rounds; round++) {
    const label = `round ${round + 1}/${plan.rounds}`;
    for (const name of variants) {
      ctx.log(`invoke http ${name}, ${label}: hey at ${RATE}/s`);
      const { latencies, errors } = await hey(endpoints[name], { connections: CONNECTIONS, rate: RATE, seconds: plan.seconds, bodyFile: ctx.payloadFile });
      figures.hey[name].push({ ...summarize(latencies), rate: latencies.length / plan.seconds, errors });
      for (const latency of latencies) figures.heyLatencies[name].push(latency);
    }
    // Later rounds warm up only briefly: the paths are warm, only the new pool's connections are not.
    const warmupSeconds = round === 0 ? ctx.warmupSeconds : Math.min(ctx.warmupSeconds, 0.5);
    for (const name of variants) {
      ctx.log(`invoke http ${name}, ${label}: open loop at ${RATE}/s`);
      const client = httpPoster(endpoints[name], ctx.payload, CONNECTIONS);
      try {
        figures.openLoop[name].push(await constantRate(client.post, { rate: RATE, seconds: plan.seconds, warmupSeconds }));
      } finally {
        await client.close();
      }
    }
    for (const connections of [16, 64]) {
      for (const name of variants) {
        ctx.log(`invoke http ${name}, ${label}: wrk max at ${connections} connections`);
        figures.max[connections][name].push(await wrk(endpoints[name], { connections, seconds: plan.seconds, body: ctx.payload.toString('latin1'), headers: { 'content-type': 'application/octet-stream' }, workDir: ctx.workDir }));
      }
    }
  }
  return figures;
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

function grpcSections(grpc) {
  const grpcRows = [];
  for (const name of ['direct', 'invokeService', 'proxied']) {
    const atRate = grpc[`${name}@rate`];
    if (!atRate) continue;
    grpcRows.push([name, atRate.rate, atRate.p50, atRate.p90, atRate.p99, name === 'direct' ? 0 : atRate.p50 - grpc['direct@rate'].p50, name === 'direct' ? 0 : atRate.p99 - grpc['direct@rate'].p99,
      grpc[`${name}@16`].rate, grpc[`${name}@64`].rate, times(ratio(grpc[`${name}@64`].rate, grpc['direct@64'].rate)), atRate.errors + grpc[`${name}@16`].errors + grpc[`${name}@64`].errors]);
  }
  if (grpcRows.length === 0) return [];
  return [{
    title: '1c. gRPC invocation (grpc-js load loop)',
    intro: 'One grpc-js channel (one HTTP/2 connection); rate columns from the open-loop generator at 1,000 calls/s, max columns from a closed loop with 16 and 64 calls in flight. '
      + '`direct`: grpc-js to a grpc-js echo app. `invokeService`: Dapr InvokeService on sidecar A to app B (HTTP) through sidecar B. `proxied`: the echo method called on sidecar A with `dapr-app-id`, proxied through sidecar B to the gRPC echo app.',
    columns: ['path', 'calls/s', 'p50 ms', 'p90 ms', 'p99 ms', '+p50 ms', '+p99 ms', 'max/s @16', 'max/s @64', '@64 vs direct', 'errors'],
    rows: grpcRows,
  }];
}
