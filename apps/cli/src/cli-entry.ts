import { readFileSync, statSync } from 'node:fs';

/** What scripts/bundle-cli.mjs writes beside the bundle: the builds it was made from, as they were then. */
export interface BundleManifest {
  /** The bundle's entry, relative to the manifest. */
  readonly entry: string;
  /** Each tsc build's `tsconfig.tsbuildinfo` (relative to the manifest) and its mtime in ms when bundled. */
  readonly builds: ReadonlyArray<{ readonly path: string; readonly mtimeMs: number }>;
}

export const BUNDLE_MANIFEST = 'bundle/manifest.json';

/**
 * The module `outrigger` should run: the esbuild bundle (one file and its lazy chunks, far fewer
 * modules to resolve and read at start-up) when it is up to date, else the compiled `cli.js`.
 * `tsc --build` alone updates dist/ but not the bundle; it then touches some tsbuildinfo, so the
 * bundle no longer matches and is not used: a stale bundle can only cost start-up time, never run
 * old code. `OUTRIGGER_NO_BUNDLE=1` forces the compiled modules (profiling, debugging).
 */
export function cliEntry(distDir: URL, env: NodeJS.ProcessEnv = process.env): URL {
  const compiled = new URL('cli.js', distDir);
  if (env.OUTRIGGER_NO_BUNDLE === '1') return compiled;
  const manifestUrl = new URL(BUNDLE_MANIFEST, distDir);
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestUrl, 'utf8')) as BundleManifest;
  } catch {
    return compiled;
  }
  const fresh = manifest.builds.length > 0 && manifest.builds.every(({ path, mtimeMs }) =>
    statSync(new URL(path, manifestUrl), { throwIfNoEntry: false })?.mtimeMs === mtimeMs);
  return fresh ? new URL(manifest.entry, manifestUrl) : compiled;
}
