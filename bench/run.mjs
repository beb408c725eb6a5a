// The benchmark suite's one command: `npm run bench` (full) or `npm run bench -- --quick` (smoke run of
// a minute or two). Options: --quick, --only=invoke,state,pubsub,footprint,profile (or invoke-http, hop-cost, hop-instructions, hop-latency, grpc-proxy-latency), --seconds=N,
// --out=<dir>, --name=<file stem>, --note=<text>, --baseline=<another built checkout> (hop-cost, hop-instructions, grpc-proxy-latency). Starts every process itself on free loopback ports
// and stops them by pid at the end, on error and on Ctrl-C. Writes bench/results/<date>.md and .json
// (quick runs: <date>-quick.*).
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureTools, has, toolVersions } from './lib/tools.mjs';
import { installCleanupHandlers, repoRoot, stopAll, tempDir, writeFile } from './lib/processes.mjs';
import { machine, writeResults } from './lib/report.mjs';
import { cliEntry } from '../apps/cli/dist/cli-entry.js';
import { httpInvocation, invocation } from './scenarios/invoke.mjs';
import { state } from './scenarios/state.mjs';
import { pubsub } from './scenarios/pubsub.mjs';
import { footprint } from './scenarios/footprint.mjs';
import { profile } from './scenarios/profile.mjs';
import { hopCost } from './scenarios/hop-cost.mjs';
import { hopInstructions } from './scenarios/hop-instructions.mjs';
import { hopLatency } from './scenarios/hop-latency.mjs';
import { grpcProxyLatency } from './scenarios/grpc-proxy-latency.mjs';

const scenarios = { invoke: invocation, state, pubsub, footprint, profile };
/** Parts of a scenario that can be run alone with --only but are not in the default list. */
const extraScenarios = { 'invoke-http': httpInvocation, 'hop-cost': hopCost, 'hop-instructions': hopInstructions, 'hop-latency': hopLatency, 'grpc-proxy-latency': grpcProxyLatency };

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    seconds: { type: 'string' },
    out: { type: 'string', default: join(repoRoot, 'bench/results') },
    note: { type: 'string', multiple: true, default: [] },
    name: { type: 'string' },
    baseline: { type: 'string' },
    rounds: { type: 'string' },
  },
});

async function main() {
  installCleanupHandlers();
  const started = Date.now();
  const missing = ensureTools();
  if (missing.length > 0) console.warn(`still missing after apt-get: ${missing.join(', ')} (their rows are left out)`);
  const dir = tempDir();
  const payload = Buffer.alloc(1024, 'x');
  const ctx = {
    quick: values.quick,
    seconds: Number(values.seconds ?? (values.quick ? 2 : 10)),
    warmupSeconds: values.quick ? 0.5 : 2,
    workDir: dir.path,
    home: join(dir.path, 'home'),
    emptyResources: join(dir.path, 'no-resources'),
    payload,
    payloadFile: writeFile(join(dir.path, 'payload-1k.bin'), payload.toString('latin1')),
    tools: { nginx: has('nginx'), wrk: has('wrk'), hey: has('hey') },
    // hop-cost: another built checkout whose sidecars run as an extra chain (before/after in one run).
    baselineCli: values.baseline && join(values.baseline, 'apps/cli/bin/outrigger.js'),
    // hop-cost and grpc-proxy-latency: rounds alternating the chains (more rounds, steadier medians on a drifting machine).
    rounds: values.rounds === undefined ? undefined : Number(values.rounds),
    log: (line) => console.log(`[${((Date.now() - started) / 1_000).toFixed(0).padStart(4)} s] ${line}`),
  };
  writeFile(join(ctx.emptyResources, 'README'), 'no components\n');
  const selected = values.only ? values.only.split(',') : Object.keys(scenarios);
  const results = { meta: { date: new Date().toISOString(), quick: ctx.quick, command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(), machine: machine(), tools: toolVersions(), secondsPerMeasurement: ctx.seconds, notes: [...values.note] }, sections: [], targets: [], raw: {} };
  const bundleNote = (when) => { if (!runsBundle()) results.meta.notes.push(`${when}, sidecars started from the compiled modules, not the esbuild bundle: a tsc build or type check newer than the bundle (run \`npm run build\`).`); };
  bundleNote('At the start');
  try {
    for (const name of selected) {
      const scenario = scenarios[name] ?? extraScenarios[name];
      if (!scenario) throw new Error(`unknown scenario ${name} (known: ${Object.keys(scenarios).join(', ')})`);
      ctx.log(`scenario ${name}`);
      try {
        const out = await scenario(ctx);
        results.sections.push(...out.sections);
        results.targets.push(...out.targets);
        results.raw[name] = out.raw;
      } catch (error) {
        console.error(`scenario ${name} failed: ${error.stack ?? error}`);
        results.sections.push({ title: `${name}: failed`, notes: [String(error.message ?? error).split('\n')[0]] });
      }
      await stopAll();
    }
  } finally {
    await stopAll();
    bundleNote('By the end');
    results.meta.durationSeconds = Math.round((Date.now() - started) / 1_000);
    results.meta.loadAverageAtEnd = loadavg().map((value) => Number(value.toFixed(2)));
    const stamp = values.name ?? `${results.meta.date.slice(0, 10)}${ctx.quick ? '-quick' : ''}`;
    const written = writeResults(results, values.out, stamp);
    console.log(`results: ${written.md}\n         ${written.json}`);
    dir.cleanup();
  }
}

/** Whether `outrigger` would run the esbuild bundle now (apps/cli/src/cli-entry.ts), as the sidecars started during a run should. */
function runsBundle() {
  return cliEntry(new URL('../apps/cli/dist/', import.meta.url)).pathname.includes('/bundle/');
}

main().catch(async (error) => {
  console.error(error);
  await stopAll();
  process.exit(1);
});
