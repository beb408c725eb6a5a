// Scenario 4, footprint: sidecar RSS idle and at 1,000 invocations/s (sampled from /proc every 250 ms
// during the run, and the high-water mark VmHWM), CPU seconds per 1,000 requests and vCPU at that rate
// (utime + stime from /proc/<pid>/stat); with the peak RSS sample, its anonymous part (the process's own
// memory, without the node binary's file pages every node process shares) and PSS; and the time from launching `outrigger sidecar` to its first
// 204 on /v1.0/healthz/outbound (polled every 5 ms on fresh connections; node's own start-up included).
// The same load through two bare Node proxies (bench/lib/baselines.mjs), and an idle node process that
// runs no code, give the RSS a Node process needs here before any runtime is in it.
import { join } from 'node:path';
import { benchApps, cpuSeconds, memoryBytes, rssBytes, sleep, statusBytes } from '../lib/processes.mjs';
import { startApp, startSidecar } from '../lib/outrigger.mjs';
import { startBareNode, startNodeProxies } from '../lib/baselines.mjs';
import { constantRate, median } from '../lib/stats.mjs';
import { httpPoster } from './invoke.mjs';

const MB = 1024 * 1024;

export async function footprint(ctx) {
  const launches = [];
  const attempts = ctx.quick ? 3 : 7;
  for (let index = 0; index < attempts; index++) {
    const sidecar = await startSidecar({ appId: `bench-launch-${index}`, home: ctx.home, resourcesPath: ctx.emptyResources, pollMs: 5 });
    launches.push(sidecar.readyMs);
    await sidecar.stop();
  }
  ctx.log(`footprint: launch to ready ${launches.map((ms) => ms.toFixed(0)).join(', ')} ms`);

  const app = await startApp(join(benchApps, 'echo-http.mjs'));
  const sidecarB = await startSidecar({ appId: 'foot-b', home: ctx.home, resourcesPath: ctx.emptyResources, appPort: app.port, waitForApp: true });
  const sidecarA = await startSidecar({ appId: 'foot-a', home: ctx.home, resourcesPath: ctx.emptyResources });
  const raw = { launchMs: launches };
  try {
    Object.assign(raw, await underLoad(ctx, `${sidecarA.baseUrl}/v1.0/invoke/foot-b/method/echo`, { A: sidecarA.child.pid, B: sidecarB.child.pid }));
  } finally {
    await Promise.all([sidecarA.stop(), sidecarB.stop()]);
  }
  const proxies = await startNodeProxies(app.port);
  try {
    raw.nodeProxies = await underLoad(ctx, proxies.url('/echo'), { A: proxies.pids[0], B: proxies.pids[1] });
  } finally {
    await Promise.all([proxies.stop(), app.stop()]);
  }
  const bareNode = await startBareNode();
  try {
    await sleep(1_000);
    raw.bareNode = memoryBytes(bareNode.pid);
  } finally {
    await bareNode.stop();
  }
  const row = (label, measured, name) => {
    const loaded = measured.loaded[name];
    return [label, measured.idle[name].rss / MB, loaded.peakRss / MB, loaded.peakMemory.anon / MB, loaded.peakMemory.file / MB, loaded.peakMemory.pss / MB, loaded.highWater / MB, loaded.cpuPer1000, loaded.vcpu];
  };
  const rows = [
    row('sidecar A', raw, 'A'), row('sidecar B', raw, 'B'),
    row('bare Node proxy A', raw.nodeProxies, 'A'), row('bare Node proxy B', raw.nodeProxies, 'B'),
    ['node running no code (idle)', raw.bareNode.rss / MB, '–', raw.bareNode.anon / MB, raw.bareNode.file / MB, raw.bareNode.pss / MB, '–', '–', '–'],
  ];
  const proxyRss = Math.max(raw.nodeProxies.loaded.A.peakRss, raw.nodeProxies.loaded.B.peakRss) / MB;
  const launchMedian = median(launches);
  const worstRss = Math.max(raw.loaded.A.peakRss, raw.loaded.B.peakRss) / MB;
  return {
    sections: [{
      title: '4. Footprint',
      intro: `Two sidecars (A calls B, B's app echoes 1 KB) driven by the open-loop generator at 1,000 req/s (achieved ${raw.load.rate.toFixed(0)}/s, ${raw.load.errors} errors, ${raw.load.dropped} not sent because 256 were in flight); then the same load through two bare Node proxies (achieved ${raw.nodeProxies.load.rate.toFixed(0)}/s, ${raw.nodeProxies.load.errors} errors). `
        + `The last row is a node process that runs no code: its file-backed part (the node binary's pages, shared by every node process) is already over half of the 60 MB bar. Launch to ready (no components, no app): median ${launchMedian.toFixed(0)} ms of ${launches.map((ms) => ms.toFixed(0)).join(', ')} ms.`,
      columns: ['process', 'RSS idle MB', 'RSS at 1,000 req/s (peak sample) MB', 'of it anonymous MB', 'of it file-backed (shared) MB', 'PSS at that sample MB', 'VmHWM MB', 'CPU s per 1,000 req', 'vCPU at 1,000 req/s'],
      rows,
    }],
    targets: [
      { name: 'sidecar RSS at 1,000 req/s (the larger of A and B, peak sample)', bar: '≤ 60 MB', measured: `${worstRss.toFixed(1)} MB`, pass: worstRss <= 60, floor: `bare Node proxy ${proxyRss.toFixed(1)} MB; idle node ${(raw.bareNode.rss / MB).toFixed(1)} MB` },
      { name: 'launch to healthz/outbound 204 (median)', bar: '≤ 300 ms', measured: `${launchMedian.toFixed(0)} ms`, pass: launchMedian <= 300 },
    ],
    raw,
  };
}

/** Idle RSS, then `url` at 1,000 req/s with RSS sampled every 250 ms and CPU from /proc, for each pid. */
async function underLoad(ctx, url, pids) {
  await sleep(2_000);
  const idle = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, { rss: rssBytes(pid) }]));
  const client = httpPoster(url, ctx.payload, 16);
  const peak = Object.fromEntries(Object.keys(pids).map((name) => [name, { rss: 0 }]));
  const sampler = setInterval(() => {
    for (const [name, pid] of Object.entries(pids)) {
      const memory = memoryBytes(pid);
      if (memory.rss > peak[name].rss) peak[name] = memory;
    }
  }, 250);
  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const seconds = ctx.quick ? 3 : ctx.seconds;
  ctx.log(`footprint: 1,000 invocations/s for ${seconds} s on ${url}`);
  const started = Date.now();
  let load;
  try {
    load = await constantRate(client.post, { rate: 1_000, seconds, warmupSeconds: 0 });
  } finally {
    clearInterval(sampler);
    await client.close();
  }
  const wall = (Date.now() - started) / 1_000;
  const requests = load.count + load.errors;
  const loaded = Object.fromEntries(Object.entries(pids).map(([name, pid]) => {
    const cpu = cpuSeconds(pid) - cpuBefore[name];
    return [name, { rss: rssBytes(pid), peakRss: peak[name].rss, peakMemory: peak[name], highWater: statusBytes(pid, 'VmHWM'), cpuSeconds: cpu, cpuPer1000: (cpu / requests) * 1_000, vcpu: cpu / wall }];
  }));
  return { idle, load: { rate: load.rate, errors: load.errors, dropped: load.dropped, requests, wall }, loaded };
}
