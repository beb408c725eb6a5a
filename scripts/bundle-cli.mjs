// Bundles the compiled CLI (apps/cli/dist/cli.js and everything it imports, our packages and their
// dependencies) into apps/cli/dist/bundle/ with esbuild, run by `npm run build` after `tsc --build`.
// A sidecar then loads a handful of files instead of ~360 modules at start-up; the lazy `import()`s
// (components, gRPC, tracing, CEL, resource parsing, CLI commands) stay separate chunks, loaded as
// before only when needed. The input is tsc's output, so tsc stays the only compiler and type checker.
// manifest.json records each tsc build's tsbuildinfo mtime: apps/cli/src/cli-entry.ts uses the bundle
// only while they are unchanged (a later `tsc --build` alone makes it fall back to dist/cli.js).
// Looking into it: BUNDLE_DEBUG=1 lists the dynamic imports of packages; BUNDLE_METAFILE=<path> writes
// esbuild's metafile (which input went into which output).
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cliDist = join(root, 'apps/cli/dist');
const outdir = join(cliDist, 'bundle');

// Kept out of the bundle and loaded from node_modules as before: better-sqlite3 finds its native
// addon relative to its own files; pg-native is an optional peer of pg that is not installed.
const external = ['better-sqlite3', 'pg-native'];

// Start-up trims that need the bundle's lazily run CommonJS modules (see each shim's comment).
const shims = join(root, 'scripts/bundle-shims');
const lazyStartupShims = {
  name: 'lazy-start-up-shims',
  setup(build) {
    build.onResolve({ filter: /^prom-client$/ }, () => ({ path: join(shims, 'prom-client.cjs') }));
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

// tsc builds (workspaces with a tsconfig.tsbuildinfo) whose dist/ files went into the bundle.
function buildsOf(inputs) {
  const workspaces = new Set();
  for (const input of inputs) {
    const parts = input.split(/[\\/]/);
    const distAt = parts.indexOf('dist');
    if (parts.includes('node_modules') || distAt < 1) continue;
    workspaces.add(join(root, ...parts.slice(0, distAt)));
  }
  return [...workspaces].sort().map((workspace) => join(workspace, 'tsconfig.tsbuildinfo'));
}

// Recorded before bundling: a tsc build that lands while esbuild reads dist/ leaves a mismatch.
const before = new Map(buildsOf([relative(root, join(cliDist, 'cli.js'))]).map((path) => [path, statSync(path).mtimeMs]));

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: { cli: join(cliDist, 'cli.js') },
  outdir,
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
  keepNames: true,
  sourcemap: 'linked',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

const builds = buildsOf(Object.keys(result.metafile.inputs));
mkdirSync(outdir, { recursive: true });
writeFileSync(join(outdir, 'manifest.json'), `${JSON.stringify({
  entry: 'cli.js',
  builds: builds.map((path) => ({ path: relative(outdir, path).split(sep).join('/'), mtimeMs: before.get(path) ?? statSync(path).mtimeMs })),
}, null, 2)}\n`);
// For looking into what went where: BUNDLE_METAFILE=/tmp/meta.json, then esbuild's analyser or a script.
if (process.env.BUNDLE_METAFILE) writeFileSync(process.env.BUNDLE_METAFILE, JSON.stringify(result.metafile));
const files = Object.keys(result.metafile.outputs).filter((file) => file.endsWith('.js'));
console.log(`bundle-cli: ${Object.keys(result.metafile.inputs).length} modules into ${files.length} files in ${relative(root, outdir)} (from ${builds.length} tsc builds)`);
