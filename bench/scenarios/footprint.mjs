// Scenario 4, footprint: sidecar RSS idle and at 1,000 invocations/s (sampled from /proc every 250 ms
// during the run, and the high-water mark VmHWM), CPU seconds per 1,000 requests and vCPU at that rate
// (utime + stime from /proc/<pid>/stat); with the peak RSS sample, its anonymous part (the process's own
// memory, without the node binary's file pages every node process shares) and PSS; and the time from launching `outrigger sidecar` to its first
// 204 on /v1.0/healthz/outbound (polled every 5 ms on fresh connections; node's own start-up included).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchApps, cpuSeconds, memoryBytes, rssBytes, sleep } from '../lib/processes.mjs';
import { startApp, startSidecar } from '../lib/outrigger.mjs';
import { constantRate, median } from '../lib/stats.mjs';
import { httpPoster } from './invoke.mjs';

const MB = 1024 * 1024;

function highWater(pid) {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

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
  const sidecars = { A: sidecarA, B: sidecarB };
  const raw = { launchMs: launches };
  try {
    await sleep(2_000);
    raw.idle = Object.fromEntries(Object.entries(sidecars).map(([name, s]) => [name, { rss: rssBytes(s.child.pid) }]));
    const client = httpPoster(`${sidecarA.baseUrl}/v1.0/invoke/foot-b/method/echo`, ctx.payload, 16);
    const peak = { A: { rss: 0 }, B: { rss: 0 } };
    const sampler = setInterval(() => {
      for (const [name, s] of Object.entries(sidecars)) {
        const memory = memoryBytes(s.child.pid);
        if (memory.rss > peak[name].rss) peak[name] = memory;
      }
    }, 250);
    const cpuBefore = Object.fromEntries(Object.entries(sidecars).map(([name, s]) => [name, cpuSeconds(s.child.pid)]));
    const seconds = ctx.quick ? 3 : ctx.seconds;
    ctx.log(`footprint: 1,000 invocations/s for ${seconds} s`);
    const started = Date.now();
    const load = await constantRate(client.post, { rate: 1_000, seconds, warmupSeconds: 0 });
    const wall = (Date.now() - started) / 1_000;
    clearInterval(sampler);
    await client.close();
    const requests = load.count + load.errors;
    raw.load = { rate: load.rate, errors: load.errors, dropped: load.dropped, requests, wall };
    raw.loaded = Object.fromEntries(Object.entries(sidecars).map(([name, s]) => {
      const cpu = cpuSeconds(s.child.pid) - cpuBefore[name];
      return [name, { rss: rssBytes(s.child.pid), peakRss: peak[name].rss, peakMemory: peak[name], highWater: highWater(s.child.pid), cpuSeconds: cpu, cpuPer1000: (cpu / requests) * 1_000, vcpu: cpu / wall }];
    }));
  } finally {
    await Promise.all([sidecarA.stop(), sidecarB.stop(), app.stop()]);
  }
  const rows = Object.keys(sidecars).map((name) => {
    const loaded = raw.loaded[name];
    return [`sidecar ${name}`, raw.idle[name].rss / MB, loaded.peakRss / MB, loaded.peakMemory.anon / MB, loaded.peakMemory.file / MB, loaded.peakMemory.pss / MB, loaded.highWater / MB, loaded.cpuPer1000, loaded.vcpu];
  });
  const launchMedian = median(launches);
  const worstRss = Math.max(raw.loaded.A.peakRss, raw.loaded.B.peakRss) / MB;
  return {
    sections: [{
      title: '4. Footprint',
      intro: `Two sidecars (A calls B, B's app echoes 1 KB) driven by the open-loop generator at 1,000 req/s (achieved ${raw.load.rate.toFixed(0)}/s, ${raw.load.errors} errors, ${raw.load.dropped} not sent because 256 were in flight). Launch to ready (no components, no app): median ${launchMedian.toFixed(0)} ms of ${launches.map((ms) => ms.toFixed(0)).join(', ')} ms.`,
      columns: ['process', 'RSS idle MB', 'RSS at 1,000 req/s (peak sample) MB', 'of it anonymous MB', 'of it file-backed (shared) MB', 'PSS at that sample MB', 'VmHWM MB', 'CPU s per 1,000 req', 'vCPU at 1,000 req/s'],
      rows,
    }],
    targets: [
      { name: 'sidecar RSS at 1,000 req/s (the larger of A and B, peak sample)', bar: '≤ 60 MB', measured: `${worstRss.toFixed(1)} MB`, pass: worstRss <= 60 },
      { name: 'launch to healthz/outbound 204 (median)', bar: '≤ 300 ms', measured: `${launchMedian.toFixed(0)} ms`, pass: launchMedian <= 300 },
    ],
    raw,
  };
}
