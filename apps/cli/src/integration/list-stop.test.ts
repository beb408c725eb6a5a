import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ListRow } from '../commands/list.js';
import { SIDECAR_NODE_FLAGS } from '../commands/sidecar-node-flags.js';
import { gone, Sandbox, until } from './harness.js';

describe('outrigger list and stop (integration)', () => {
  it('lists a running app and stops it by app id', { timeout: 90_000 }, async () => {
    const sandbox = new Sandbox();
    try {
      const empty = await sandbox.run(['list']);
      assert.equal(empty.code, 0);
      assert.equal(empty.stdout, 'No Outrigger instances found.\n');
      assert.deepEqual(JSON.parse((await sandbox.run(['list', '-o', 'json'])).stdout), []);

      writeFileSync(join(sandbox.dir, 'idle.mjs'), 'console.log("up"); setInterval(() => {}, 60_000);\n');
      const run = sandbox.start(['run', '-a', 'listed', '--', process.execPath, 'idle.mjs']);
      const row = await until('the app in `list -o json`', async () => {
        const result = await sandbox.run(['list', '-o', 'json']);
        const rows = JSON.parse(result.stdout) as ListRow[];
        return rows.find((candidate) => candidate.appId === 'listed' && candidate.appPid > 0);
      }, run);
      sandbox.track(row.appPid, row.daprdPid);
      assert.equal(row.cliPid, run.pid);
      const sidecarCommand = readFileSync(`/proc/${row.daprdPid}/cmdline`, 'utf8').split('\0');
      for (const flag of SIDECAR_NODE_FLAGS) assert.ok(sidecarCommand.includes(flag), `the sidecar runs with ${flag}: ${sidecarCommand.join(' ')}`);
      assert.equal(row.appPort, 0);
      assert.ok(row.httpPort > 0 && row.grpcPort > 0);
      assert.match(row.command, /idle\.mjs|\.\.\.$/);
      assert.match(row.age, /^\d+[smhd]$/);
      assert.equal(row.runTemplatePath, '');
      for (const key of ['appId', 'httpPort', 'grpcPort', 'appPort', 'command', 'age', 'created', 'daprdPid', 'cliPid', 'appPid', 'runTemplatePath']) {
        assert.ok(key in row, `field ${key}`);
      }
      const table = await sandbox.run(['list']);
      assert.match(table.stdout, /^APP ID\s+HTTP PORT/);
      assert.match(table.stdout, new RegExp(`^listed\\s+${row.httpPort}\\s+${row.grpcPort}\\s+0\\s`, 'm'));

      const stop = await sandbox.run(['stop', '--app-id', 'listed']);
      assert.equal(stop.code, 0, stop.output);
      assert.equal(stop.stdout, '✅  app stopped successfully: listed\n');
      const { code } = await run.exited;
      assert.equal(code, 0, 'a stop is a signal-initiated shutdown');
      await gone([row.appPid, row.daprdPid]);

      const again = await sandbox.run(['stop', '-a', 'listed']);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /failed to stop app id listed: couldn't find app id listed/);
      assert.equal((await sandbox.run(['list'])).stdout, 'No Outrigger instances found.\n');
    } finally {
      await sandbox.cleanup();
    }
  });

  it('writes the init files through the CLI and keeps them on a second init', { timeout: 30_000 }, async () => {
    const sandbox = new Sandbox();
    try {
      const first = await sandbox.run(['init']);
      assert.equal(first.code, 0, first.output);
      assert.match(first.stdout, /Wrote components\/statestore\.yaml/);
      assert.match(first.stdout, /Wrote config\.yaml/);
      writeFileSync(join(sandbox.home, 'config.yaml'), 'kept: true\n');
      const second = await sandbox.run(['init']);
      assert.equal(second.code, 0);
      assert.match(second.stdout, /Kept existing components\/statestore\.yaml/);
      assert.match(second.stdout, /Kept existing config\.yaml/);
    } finally {
      await sandbox.cleanup();
    }
  });
});
