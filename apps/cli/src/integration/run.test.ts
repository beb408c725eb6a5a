import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { liveInstances } from '../commands/instances.js';
import { extendedMetadata, sidecarRequest } from '../commands/sidecar-client.js';
import { freePort, gone, Sandbox, until } from './harness.js';

/** A plain Node HTTP app: `/env` echoes what run gave it, `/exit?code=N` exits with N. */
const echoApp = `import { createServer } from 'node:http';
const names = ['APP_ID', 'APP_PORT', 'DAPR_HTTP_PORT', 'DAPR_GRPC_PORT', 'DAPR_METRICS_PORT', 'APP_PROTOCOL', 'APP_CHANNEL_ADDRESS'];
const env = Object.fromEntries(names.map((name) => [name, process.env[name]]));
console.log('env ' + JSON.stringify(env));
createServer((req, res) => {
  const url = new URL(req.url, 'http://app');
  if (url.pathname === '/exit') {
    res.end('bye', () => process.exit(Number(url.searchParams.get('code'))));
    return;
  }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(env));
}).listen(Number(process.env.APP_PORT), '127.0.0.1', () => process.stdout.write('listening (no newline at the end)'));
`;

/** An app without a port that idles until signalled. */
const idleApp = `console.log('idle app up, sidecar on ' + process.env.DAPR_HTTP_PORT);
setInterval(() => {}, 60_000);
`;

async function answers(port: number): Promise<boolean> {
  try {
    await sidecarRequest(port, 'GET', '/v1.0/healthz/outbound', { timeoutMs: 1_000 });
    return true;
  } catch {
    return false;
  }
}

describe('outrigger run (integration)', () => {
  it('gives the app its environment, propagates its exit code and stops the sidecar after it', { timeout: 90_000 }, async () => {
    const sandbox = new Sandbox();
    try {
      assert.equal((await sandbox.run(['init'])).code, 0);
      writeFileSync(join(sandbox.dir, 'app.mjs'), echoApp);
      const appPort = await freePort();
      const httpPort = await freePort();
      const run = sandbox.start(['run', '--app-id', 'echo', '-p', String(appPort), '-H', String(httpPort), '--', process.execPath, 'app.mjs']);

      const env = await until('the app to answer through its sidecar', async () => {
        const result = await sidecarRequest(httpPort, 'GET', '/v1.0/invoke/echo/method/env').catch(() => undefined);
        return result?.status === 200 ? JSON.parse(result.body) as Record<string, string> : undefined;
      }, run);
      assert.equal(env.APP_ID, 'echo');
      assert.equal(env.APP_PORT, String(appPort));
      assert.equal(env.DAPR_HTTP_PORT, String(httpPort));
      assert.match(env.DAPR_GRPC_PORT ?? '', /^\d+$/);
      assert.match(env.DAPR_METRICS_PORT ?? '', /^\d+$/);
      assert.notEqual(env.DAPR_GRPC_PORT, env.DAPR_METRICS_PORT);
      assert.equal(env.APP_PROTOCOL, 'http');
      assert.equal(env.APP_CHANNEL_ADDRESS, '127.0.0.1');

      // The metadata dapr run stores, and the home's default resources (written by init) loaded.
      const extended = await until('cliPID, appPID and appCommand in the metadata', async () => {
        const found = await extendedMetadata(httpPort);
        return found?.appCommand ? found : undefined;
      }, run);
      assert.equal(extended.cliPID, String(run.pid));
      assert.equal(extended.appCommand, `${process.execPath} app.mjs`);
      const appPid = Number(extended.appPID);
      const [instance] = await liveInstances(sandbox.home);
      assert.ok(instance);
      sandbox.track(appPid, instance.daprdPid);
      const metadata = JSON.parse((await sidecarRequest(httpPort, 'GET', '/v1.0/metadata')).body) as { components: { name: string; type: string }[] };
      assert.deepEqual(metadata.components.map((component) => [component.name, component.type]), [['pubsub', 'pubsub.sqlite'], ['statestore', 'state.sqlite']]);

      await sidecarRequest(httpPort, 'GET', '/v1.0/invoke/echo/method/exit?code=3');
      const { code } = await run.exited;
      assert.equal(code, 3, run.output());
      assert.equal(await answers(httpPort), false, 'the sidecar no longer answers');
      await gone([appPid, instance.daprdPid]);

      const output = run.output();
      assert.match(output, /^== APP == env \{/m);
      assert.match(output, /^== APP == listening \(no newline at the end\)$/m, 'the unfinished last line is flushed');
      assert.match(output, /^== OUTRIGGER == .*starting Outrigger/m);
      assert.match(output, /exited with error code: 3/);
    } finally {
      await sandbox.cleanup();
    }
  });

  it('waits for the sidecar before starting an app without a port, and SIGTERM stops both with exit 0', { timeout: 90_000 }, async () => {
    const sandbox = new Sandbox();
    try {
      writeFileSync(join(sandbox.dir, 'idle.mjs'), idleApp);
      const run = sandbox.start(['run', '--', process.execPath, 'idle.mjs']);
      const instance = await until('the sidecar in the registry with its app', async () => {
        const [found] = await liveInstances(sandbox.home);
        return found && found.appPid > 0 ? found : undefined;
      }, run);
      sandbox.track(instance.appPid, instance.daprdPid);
      assert.match(instance.appId, /^[a-z]+-[a-z]+$/, 'a random readable app id');
      assert.equal(instance.cliPid, run.pid);
      assert.equal(instance.appPort, 0);
      await until('the app output', () => run.output().includes(`== APP == idle app up, sidecar on ${instance.httpPort}`), run);
      const sidecarUp = run.output().indexOf(`Outrigger sidecar of ${instance.appId} is up and running`);
      assert.ok(sidecarUp >= 0 && sidecarUp < run.output().indexOf('== APP == idle app up'), 'app started after the sidecar answered');

      process.kill(run.pid, 'SIGTERM');
      const { code } = await run.exited;
      assert.equal(code, 0, run.output());
      await gone([instance.appPid, instance.daprdPid]);
      assert.equal(await answers(instance.httpPort), false);
    } finally {
      await sandbox.cleanup();
    }
  });

  it('stops the app and exits 0 when the sidecar is shut down through its API', { timeout: 90_000 }, async () => {
    const sandbox = new Sandbox();
    try {
      writeFileSync(join(sandbox.dir, 'idle.mjs'), idleApp);
      const httpPort = await freePort();
      const run = sandbox.start(['run', '-a', 'shut', '-H', String(httpPort), '--', process.execPath, 'idle.mjs']);
      const extended = await until('appPID in the metadata', async () => (await extendedMetadata(httpPort))?.appPID, run);
      sandbox.track(Number(extended));
      await sidecarRequest(httpPort, 'POST', '/v1.0/shutdown');
      const { code } = await run.exited;
      assert.equal(code, 0, run.output());
      await gone([Number(extended)]);
    } finally {
      await sandbox.cleanup();
    }
  });

  it('exits non-zero with the sidecar\'s message naming the file and field of an invalid component', { timeout: 90_000 }, async () => {
    const sandbox = new Sandbox();
    try {
      const resources = join(sandbox.dir, 'resources');
      mkdirSync(resources);
      writeFileSync(join(resources, 'broken.yaml'), 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: broken\nspec:\n  version: v1\n');
      writeFileSync(join(sandbox.dir, 'idle.mjs'), idleApp);
      const result = await sandbox.run(['run', '-a', 'bad', '--resources-path', resources, '--', process.execPath, 'idle.mjs'], 60_000);
      assert.notEqual(result.code, 0, result.output);
      assert.match(result.output, /== OUTRIGGER == .*broken\.yaml.*spec\.type/);
      assert.doesNotMatch(result.output, /== APP == idle app up/, 'the app never started');
    } finally {
      await sandbox.cleanup();
    }
  });

  it('refuses an invalid run file naming the field', { timeout: 30_000 }, async () => {
    const sandbox = new Sandbox();
    try {
      mkdirSync(join(sandbox.dir, 'a'));
      writeFileSync(join(sandbox.dir, 'no-version.yaml'), 'apps:\n  - appDirPath: ./a\n');
      writeFileSync(join(sandbox.dir, 'no-dir.yaml'), 'version: 1\napps:\n  - appID: a\n');
      const noVersion = await sandbox.run(['run', '-f', 'no-version.yaml']);
      assert.equal(noVersion.code, 1);
      assert.match(noVersion.stderr, /field "version": required field is missing/);
      const noDir = await sandbox.run(['run', '-f', 'no-dir.yaml']);
      assert.equal(noDir.code, 1);
      assert.match(noDir.stderr, /field "apps\[0\]\.appDirPath": required field is missing/);
    } finally {
      await sandbox.cleanup();
    }
  });
});
