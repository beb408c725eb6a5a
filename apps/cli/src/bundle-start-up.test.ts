import { it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliEntry } from './cli-entry.js';

const dist = new URL('./', import.meta.url);
const bin = fileURLToPath(new URL('../bin/outrigger.js', import.meta.url));

/** The node built-in modules a CLI run loaded, read from node's own list as the process exits. */
function builtinsLoadedBy(args: readonly string[], t: { after(fn: () => void): void }): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'outrigger-bundle-start-up-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const listFile = join(dir, 'loaded.txt');
  const preload = join(dir, 'list-modules.cjs');
  writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(listFile)}, process.moduleLoadList.join('\\n')));\n`);
  execFileSync(process.execPath, ['--require', preload, bin, ...args], { stdio: 'ignore', timeout: 30_000 });
  return readFileSync(listFile, 'utf8').split('\n').filter((line) => line.startsWith('NativeModule ')).map((line) => line.slice('NativeModule '.length));
}

it('parses arguments from the bundle without loading child_process (commander gets it on first use)', (t) => {
  if (cliEntry(dist, process.env).href !== new URL('bundle/cli.js', dist).href) {
    t.skip('the CLI bundle is not built or not current (npm run build makes it)');
    return;
  }
  const loaded = builtinsLoadedBy(['--help'], t);
  assert.ok(loaded.includes('http'), 'the list is read: the CLI loads node:http for the sidecar');
  assert.ok(!loaded.includes('child_process'), 'child_process is not loaded');
});
