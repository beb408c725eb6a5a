// Scenario 5, a CPU profile of the invocation hot path: both sidecars run under `node --cpu-prof`
// while wrk drives HTTP invocations (1 KB, 16 connections) through them; each profile is written when
// the sidecar shuts down, and its top self-time functions and files go into the results.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { benchApps, mkdirp, repoRoot } from '../lib/processes.mjs';
import { startApp, startSidecar } from '../lib/outrigger.mjs';
import { wrk } from '../lib/tools.mjs';
import { rankSelfTime } from '../lib/cpuprofile.mjs';

const pct = (share) => `${(share * 100).toFixed(1)}%`;

export async function profile(ctx) {
  const dirA = mkdirp(join(ctx.workDir, 'profile-a'));
  const dirB = mkdirp(join(ctx.workDir, 'profile-b'));
  const app = await startApp(join(benchApps, 'echo-http.mjs'));
  const sidecarB = await startSidecar({ appId: 'prof-b', home: ctx.home, resourcesPath: ctx.emptyResources, appPort: app.port, waitForApp: true, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dirB}`] });
  const sidecarA = await startSidecar({ appId: 'prof-a', home: ctx.home, resourcesPath: ctx.emptyResources, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dirA}`] });
  let load;
  let window;
  try {
    const fromUs = Number(process.hrtime.bigint() / 1_000n);
    ctx.log('profile: wrk at 16 connections through two sidecars under --cpu-prof');
    load = await wrk(`${sidecarA.baseUrl}/v1.0/invoke/prof-b/method/echo`, { connections: 16, seconds: ctx.seconds, body: ctx.payload.toString('latin1'), headers: { 'content-type': 'application/octet-stream' }, workDir: ctx.workDir });
    window = { fromUs, toUs: Number(process.hrtime.bigint() / 1_000n) };
  } finally {
    await Promise.all([sidecarA.stop(20_000), sidecarB.stop(20_000)]);
    await app.stop();
  }
  const sections = [];
  const raw = { load };
  for (const [name, dir] of [['sidecar A (caller side)', dirA], ['sidecar B (callee side)', dirB]]) {
    const file = readdirSync(dir).find((entry) => entry.endsWith('.cpuprofile'));
    if (!file) {
      sections.push({ title: `5. CPU profile of ${name}`, notes: ['no profile was written (the sidecar did not exit cleanly)'] });
      continue;
    }
    const ranked = rankSelfTime(join(dir, file), { repoRoot, top: 15, window });
    raw[name] = ranked;
    sections.push({
      title: `5. CPU profile of ${name}: top self time`,
      intro: `wrk, 16 connections, ${ctx.seconds} s, ${Math.round(load.rate)} req/s under the profiler. Samples from the load window only (start-up and shutdown left out): busy ${ranked.busyMs.toFixed(0)} ms of ${ranked.totalMs.toFixed(0)} ms; shares are of busy time.`,
      columns: ['function (file:line)', 'self ms', 'share'],
      rows: ranked.functions.map((entry) => [`\`${entry.name}\``, entry.ms, pct(entry.share)]),
    });
    sections.push({
      title: `5. CPU profile of ${name}: self time by file`,
      columns: ['file', 'self ms', 'share'],
      rows: ranked.files.slice(0, 10).map((entry) => [`\`${entry.name}\``, entry.ms, pct(entry.share)]),
    });
  }
  return { sections, targets: [], raw };
}
