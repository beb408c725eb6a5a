// Reads a V8 .cpuprofile (node --cpu-prof) and ranks self time by function and by file, so the results
// can name the hot path's top costs without a profiler UI.
import { readFileSync } from 'node:fs';

function shortUrl(url, repoRoot) {
  if (!url) return '(native)';
  let path = url.replace(/^file:\/\//, '');
  if (repoRoot && path.startsWith(repoRoot)) path = path.slice(repoRoot.length + 1);
  const modules = path.lastIndexOf('node_modules/');
  return modules >= 0 ? path.slice(modules + 'node_modules/'.length) : path;
}

/** Self time per function and per file, in ms and as a share of all samples (idle excluded from shares). */
/**
 * `window` ({ fromUs, toUs } on the monotonic clock of process.hrtime, which V8's profile timestamps
 * share on Linux) keeps only the samples taken during the load, leaving start-up and shutdown out.
 */
export function rankSelfTime(profilePath, { repoRoot, top = 25, window } = {}) {
  const profile = JSON.parse(readFileSync(profilePath, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  let at = profile.startTime;
  for (let index = 0; index < profile.samples.length; index++) {
    at += profile.timeDeltas[index] ?? 0;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    const id = profile.samples[index];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  }
  const functions = new Map();
  const files = new Map();
  let idleUs = 0;
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id);
    totalUs += us;
    if (callFrame.functionName === '(idle)') { idleUs += us; continue; }
    const file = shortUrl(callFrame.url, repoRoot);
    const key = `${callFrame.functionName || '(anonymous)'} ${file}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ''}`;
    functions.set(key, (functions.get(key) ?? 0) + us);
    files.set(file, (files.get(file) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const rank = (map) => [...map].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, us]) => ({ name, ms: us / 1_000, share: us / busyUs }));
  return { totalMs: totalUs / 1_000, busyMs: busyUs / 1_000, functions: rank(functions), files: rank(files) };
}
