import { it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cliEntry } from './cli-entry.js';

/** A dist/ folder with a bundle made from two builds, as scripts/bundle-cli.mjs leaves it. */
function bundledDist(t: { after(fn: () => void): void }): { dist: URL; builds: string[] } {
  const root = mkdtempSync(join(tmpdir(), 'outrigger-cli-entry-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const builds = [join(root, 'cli.tsbuildinfo'), join(root, 'runtime.tsbuildinfo')];
  for (const build of builds) writeFileSync(build, '{}');
  mkdirSync(join(root, 'dist/bundle'), { recursive: true });
  writeFileSync(join(root, 'dist/bundle/manifest.json'), JSON.stringify({
    entry: 'cli.js',
    builds: builds.map((build) => ({ path: `../../${build.slice(root.length + 1)}`, mtimeMs: statSync(build).mtimeMs })),
  }));
  return { dist: pathToFileURL(join(root, 'dist/')), builds };
}

it('runs the bundle while every build it was made from is unchanged', (t) => {
  const { dist } = bundledDist(t);
  assert.equal(cliEntry(dist, {}).href, new URL('bundle/cli.js', dist).href);
});

it('runs the compiled modules once a build changed after bundling (tsc --build alone)', (t) => {
  const { dist, builds } = bundledDist(t);
  const later = new Date(Date.now() + 5_000);
  utimesSync(builds[1] ?? '', later, later);
  assert.equal(cliEntry(dist, {}).href, new URL('cli.js', dist).href);
});

it('runs the compiled modules when a build is gone, when there is no bundle, or when told to', (t) => {
  const { dist, builds } = bundledDist(t);
  assert.equal(cliEntry(dist, { OUTRIGGER_NO_BUNDLE: '1' }).href, new URL('cli.js', dist).href);
  rmSync(builds[0] ?? '');
  assert.equal(cliEntry(dist, {}).href, new URL('cli.js', dist).href);
  rmSync(new URL('bundle', dist), { recursive: true });
  assert.equal(cliEntry(dist, {}).href, new URL('cli.js', dist).href);
});
