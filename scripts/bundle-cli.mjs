// Bundles the compiled CLI (apps/cli/dist/cli.js and everything it imports, our packages and their
// dependencies) into apps/cli/dist/bundle/ with esbuild, run by `npm run build` after `tsc --build`.
// A sidecar then loads a handful of files instead of ~360 modules at start-up; the lazy `import()`s
// (components, gRPC, tracing, CEL, resource parsing, CLI commands) stay separate chunks, loaded as
// before only when needed. The input is tsc's output, so tsc stays the only compiler and type checker.
// manifest.json records each tsc build's tsbuildinfo mtime: apps/cli/src/cli-entry.ts uses the bundle
// only while they are unchanged (a later `tsc --build` alone makes it fall back to dist/cli.js).
// When they and the bundler (this script, its shims, esbuild) are unchanged, the bundle is left as it is.
// Looking into it: BUNDLE_DEBUG=1 lists the dynamic imports of packages; BUNDLE_METAFILE=<path> writes
// esbuild's metafile (which input went into which output).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, version } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cliDist = join(root, 'apps/cli/dist');
const outdir = join(cliDist, 'bundle');

// Kept out of the bundle: pg-native is an optional peer of pg that is not installed. (better-sqlite3's
// JavaScript is bundled; its native addon is loaded from node_modules, see the bindings shim.)
const external = ['pg-native'];

// Start-up trims that need the bundle's lazily run CommonJS modules (see each shim's comment).
const shims = join(root, 'scripts/bundle-shims');
const lazyStartupShims = {
  name: 'lazy-start-up-shims',
  setup(build) {
    build.onResolve({ filter: /^prom-client$/ }, () => ({ path: join(shims, 'prom-client.cjs') }));
    build.onResolve({ filter: /^bindings$/ }, ({ importer }) =>
      /better-sqlite3[\\/]lib[\\/]database\.js$/.test(importer) ? { path: join(shims, 'bindings-for-better-sqlite3.cjs') } : undefined);
    build.onResolve({ filter: /^pino-pretty$/ }, ({ importer }) =>
      /packages[\\/]kit[\\/]dist[\\/]logger\.js$/.test(importer) ? { path: join(shims, 'pino-pretty.cjs') } : undefined);
    build.onResolve({ filter: /^@opentelemetry\/api$/ }, ({ importer }) =>
      /prom-client[\\/]lib[\\/]metrics[\\/]processCpuTotal\.js$/.test(importer) ? { path: join(shims, 'otel-api-for-prom-client.cjs') } : undefined);
  },
};

// Whether esbuild treats a resolved file as CommonJS: node's rule (extension, then the nearest
// package.json's type), except that a .js file written with import/export (a package's "module"
// build) is an ES module to esbuild whatever the package says.
function isCommonJs(path) {
  if (path.endsWith('.cjs')) return true;
  if (!path.endsWith('.js')) return false;
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    let manifest;
    try {
      manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    if (manifest.type === 'module') return false;
    break;
  }
  return !/^\s*(?:import|export)\b\s*[\w{*'"]/m.test(readFileSync(path, 'utf8'));
}

// With code splitting, esbuild turns `import('pkg')` of a CommonJS package into a chunk whose only
// export is `default`, where node gives the package's named exports too (`const { Agent } = await
// import('undici')`). Such imports get an ES module in between that exports the same names node
// would: the names are read by importing the package here, as node does, once per package.
const namedCommonJsImports = {
  name: 'named-exports-for-dynamic-imports-of-commonjs',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async ({ path, kind, resolveDir, pluginData }) => {
      if (kind !== 'dynamic-import' || pluginData?.unwrapped || external.includes(path)) return undefined;
      const resolved = await build.resolve(path, { kind, resolveDir, pluginData: { unwrapped: true } });
      if (process.env.BUNDLE_DEBUG) console.log(`import('${path}'): ${resolved.path}${isCommonJs(resolved.path) ? ' (CommonJS)' : ''}`);
      if (resolved.errors.length > 0 || resolved.external || !isCommonJs(resolved.path)) return undefined;
      return { path: resolved.path, namespace: 'commonjs-named-exports' };
    });
    build.onLoad({ filter: /.*/, namespace: 'commonjs-named-exports' }, async ({ path }) => {
      const names = Object.keys(await import(pathToFileURL(path).href))
        .filter((name) => name !== 'default' && name !== 'module.exports' && /^[A-Za-z_$][\w$]*$/.test(name));
      const source = JSON.stringify(path);
      return {
        resolveDir: dirname(path),
        loader: 'js',
        // require(), not an import: node's default export is module.exports, also for __esModule modules.
        contents: `const commonJs = require(${source});\nexport default commonJs;\nexport const { ${names.join(', ')} } = commonJs;\n`,
      };
    });
  },
};

// Every workspace's tsc build, with its tsbuildinfo's mtime now. Read before bundling: a tsc build that
// lands while esbuild reads dist/ then leaves a mismatch, and the bundle is not used.
function workspaceBuilds() {
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const builds = new Map();
  for (const workspace of workspaces) {
    const path = join(root, workspace, 'tsconfig.tsbuildinfo');
    const stats = statSync(path, { throwIfNoEntry: false });
    if (stats) builds.set(path, stats.mtimeMs);
  }
  return builds;
}

// The workspaces whose dist/ files went into the bundle.
function buildsOf(inputs) {
  const workspaces = new Set();
  for (const input of inputs) {
    const parts = input.split(/[\\/]/);
    const distAt = parts.indexOf('dist');
    if (parts.includes('node_modules') || distAt < 1) continue;
    workspaces.add(join(root, ...parts.slice(0, distAt), 'tsconfig.tsbuildinfo'));
  }
  return [...workspaces].sort();
}

// What made the bundle besides tsc's output: this script, its shims and esbuild's version.
function bundlerFingerprint() {
  const hash = createHash('sha256').update(version).update(readFileSync(fileURLToPath(import.meta.url)));
  for (const name of readdirSync(shims).sort()) hash.update(name).update(readFileSync(join(shims, name)));
  return hash.digest('hex').slice(0, 16);
}

function readManifest() {
  try {
    return JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

// Written beside the target and renamed over it, so a process starting meanwhile reads the old file or
// the new one, never half of one.
function writeAtomically(path, contents) {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

const current = workspaceBuilds();
const fingerprint = bundlerFingerprint();
const previous = readManifest();
const upToDate = previous?.bundler === fingerprint && previous.builds.length > 0 &&
  previous.builds.every(({ path, mtimeMs }) => current.get(resolve(outdir, path)) === mtimeMs) &&
  statSync(join(outdir, previous.entry), { throwIfNoEntry: false }) !== undefined;
if (upToDate) {
  console.log(`bundle-cli: ${relative(root, outdir)} is up to date`);
  process.exit(0);
}

const result = await build({
  absWorkingDir: root,
  entryPoints: { cli: join(cliDist, 'cli.js') },
  outdir,
  write: false,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  plugins: [lazyStartupShims, namedCommonJsImports],
  // CommonJS dependencies call require() for node's built-ins; an ES module has no require of its own.
  banner: { js: "import { createRequire as __outriggerCreateRequire } from 'node:module'; const require = __outriggerCreateRequire(import.meta.url);" },
  chunkNames: 'chunk-[hash]',
  minifyWhitespace: true,
  minifySyntax: true,
  // Not keepNames: it wraps every named function and class in a `__name(fn, 'name')` call made each time
  // the function is created, closures on the hot path included; that cost sidecar B 12-24 µs per
  // invocation (bench/results/2026-11-23-framed.md). Names esbuild renames to avoid clashes (`parse2`)
  // only show in stack traces and in loggers' error `type`.
  keepNames: false,
  sourcemap: 'linked',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

// Other processes may be running the previous bundle (sidecars of other tests, `outrigger run`), and
// load its lazy chunks late. Chunks are named by their content, so they are written beside the old ones
// and none is removed at once; the entry is replaced last, and the manifest after it. Files that this
// build did not write are removed once a day old.
mkdirSync(outdir, { recursive: true });
const entry = join(outdir, 'cli.js');
const written = new Set(result.outputFiles.map((file) => file.path));
for (const file of result.outputFiles) {
  if (file.path === entry || file.path === `${entry}.map`) continue;
  if (statSync(file.path, { throwIfNoEntry: false })?.size === file.contents.length) continue;
  writeAtomically(file.path, file.contents);
}
writeAtomically(`${entry}.map`, result.outputFiles.find((file) => file.path === `${entry}.map`)?.contents ?? '');
writeAtomically(entry, result.outputFiles.find((file) => file.path === entry)?.contents ?? '');
const builds = buildsOf(Object.keys(result.metafile.inputs));
writeAtomically(join(outdir, 'manifest.json'), `${JSON.stringify({
  entry: 'cli.js',
  bundler: fingerprint,
  builds: builds.map((path) => ({ path: relative(outdir, path).split(sep).join('/'), mtimeMs: current.get(path) ?? 0 })),
}, null, 2)}\n`);
const dayAgo = Date.now() - 24 * 60 * 60 * 1000;
for (const name of readdirSync(outdir)) {
  const path = join(outdir, name);
  if (name !== 'manifest.json' && !written.has(path) && statSync(path).mtimeMs < dayAgo) rmSync(path, { force: true });
}

// For looking into what went where: BUNDLE_METAFILE=/tmp/meta.json, then esbuild's analyser or a script.
if (process.env.BUNDLE_METAFILE) writeFileSync(process.env.BUNDLE_METAFILE, JSON.stringify(result.metafile));
const files = result.outputFiles.filter((file) => file.path.endsWith('.js'));
console.log(`bundle-cli: ${Object.keys(result.metafile.inputs).length} modules into ${files.length} files in ${relative(root, outdir)} (from ${builds.length} tsc builds)`);
