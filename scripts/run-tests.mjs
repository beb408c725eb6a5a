// Runs every compiled test file (`dist/**/*.test.js`) with node's test runner.
// `--unit` leaves out the integration tests, which spawn sidecars and talk to real servers.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['packages', 'components', 'apps', 'tests'];
const unitOnly = process.argv.includes('--unit');
const files = [];

function walk(dir, inDist) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, inDist || name === 'dist');
    else if (inDist && name.endsWith('.test.js')) files.push(path);
  }
}
for (const root of roots) walk(root, false);
// The benchmark's own helpers have unit tests (plain .mjs, not built); the benchmark itself never runs here.
for (const name of readdirSync('bench/test')) if (name.endsWith('.test.mjs')) files.push(join('bench/test', name));
const selected = files.filter((file) => !unitOnly || !file.includes(`${join('dist', 'integration')}`)).sort();
if (selected.length === 0) {
  console.error('no test files found: run `npm run build` first');
  process.exit(1);
}
// --test-force-exit: a file whose tests have all finished ends even if something it opened is still
// alive (a pool a failed test never closed). Without it that file's process, and with it the whole
// run, waited for ever: a leak then shows as the failing test that caused it, not as a hung CI.
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=900000', '--test-force-exit', ...selected], { stdio: 'inherit' });
process.exit(result.status ?? 1);
