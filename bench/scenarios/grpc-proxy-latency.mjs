// Proxied gRPC latency, before and after a change (run alone: --only=grpc-proxy-latency, with
// --baseline=<another built checkout>): the echo method called on sidecar A with `dapr-app-id`, proxied
// through sidecar B to the gRPC echo app, at 1,000 calls/s from the open-loop generator (grpc-js, one
// channel). Each build gets its own pair of sidecars; rounds alternate the builds, so a busy spell of the
// machine falls on both. Without --baseline only this build is measured.
import { join } from 'node:path';
import { benchApps } from '../lib/processes.mjs';
import { startApp, startSidecar } from '../lib/outrigger.mjs';
import { constantRate, median } from '../lib/stats.mjs';
import { grpcClient, waitForGrpc } from '../lib/grpc.mjs';

const RATE = 1_000;

async function proxiedPair(ctx, appPort, name, cli) {
  const callee = `gpl-b-${name}`;
  const B = await startSidecar({ appId: callee, home: ctx.home, resourcesPath: ctx.emptyResources, appPort, extraFlags: ['--app-protocol', 'grpc'], waitForApp: true, cli });
  const A = await startSidecar({ appId: `gpl-a-${name}`, home: ctx.home, resourcesPath: ctx.emptyResources, cli });
  await waitForGrpc(A.grpcPort);
  const client = grpcClient(A.grpcPort);
  const call = () => client.unary('/bench.Echo/Echo', ctx.payload, { 'dapr-app-id': callee });
  const answer = await call();
  if (answer.length < ctx.payload.length) throw new Error(`short answer (${answer.length} bytes)`);
  return { call, stop: async () => { client.close(); await Promise.all([A.stop(), B.stop()]); } };
}

export async function grpcProxyLatency(ctx) {
  const app = await startApp(join(benchApps, 'echo-grpc.mjs'));
  const builds = { 'this build': undefined, ...(ctx.baselineCli ? { baseline: ctx.baselineCli } : {}) };
  const pairs = {};
  const runs = Object.fromEntries(Object.keys(builds).map((name) => [name, []]));
  try {
    for (const [name, cli] of Object.entries(builds)) pairs[name] = await proxiedPair(ctx, app.port, name === 'baseline' ? 'base' : 'this', cli);
    const rounds = ctx.rounds ?? (ctx.quick ? 1 : 4);
    for (let round = 0; round < rounds; round++) {
      for (const name of Object.keys(builds)) {
        ctx.log(`grpc-proxy-latency ${name}, round ${round + 1}: ${RATE} calls/s`);
        runs[name].push(await constantRate(pairs[name].call, { rate: RATE, seconds: ctx.seconds, warmupSeconds: ctx.warmupSeconds }));
      }
    }
  } finally {
    await Promise.all([...Object.values(pairs).map((pair) => pair.stop()), app.stop()]);
  }
  const rows = Object.entries(runs).map(([name, list]) => [name, median(list.map((run) => run.p50)), median(list.map((run) => run.p90)), median(list.map((run) => run.p99)),
    list.map((run) => `${run.p50.toFixed(2)}/${run.p99.toFixed(2)}`).join(', '), list.reduce((sum, run) => sum + run.errors, 0)]);
  return {
    sections: [{
      title: 'Proxied gRPC latency at 1,000 calls/s, this build against a baseline',
      intro: `grpc-js (one channel) calls the echo method on sidecar A with dapr-app-id; sidecar B proxies it to the gRPC echo app. ${ctx.seconds} s per round, rounds alternating the builds; medians of the rounds.${ctx.baselineCli ? ` Baseline: ${ctx.baselineCli}.` : ''}`,
      columns: ['build', 'p50 ms', 'p90 ms', 'p99 ms', 'p50/p99 of each round', 'errors'],
      rows,
    }],
    targets: [],
    raw: runs,
  };
}
