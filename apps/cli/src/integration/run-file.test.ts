import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { liveInstances } from '../commands/instances.js';
import { freePort, gone, Sandbox, until } from './harness.js';

/** App B answers `/hello` on its port. */
const appB = `import { createServer } from 'node:http';
createServer((req, res) => res.end('hello from b')).listen(Number(process.env.APP_PORT), '127.0.0.1');
`;

/** App A (no port) calls B through its own sidecar, prints the answer and idles. */
const appA = `const url = 'http://127.0.0.1:' + process.env.DAPR_HTTP_PORT + '/v1.0/invoke/b/method/hello';
console.log('greeting ' + process.env.GREETING);
for (let attempt = 0; attempt < 300; attempt++) {
  try {
    const res = await fetch(url);
    if (res.ok) {
      console.log('A got: ' + await res.text());
      break;
    }
  } catch {}
  await new Promise((resolve) => setTimeout(resolve, 100));
}
setInterval(() => {}, 60_000);
`;

describe('outrigger run -f (integration)', () => {
  it('runs two apps with their own sidecars, A calling B, and stop -f stops them all', { timeout: 120_000 }, async () => {
    const sandbox = new Sandbox();
    try {
      const project = join(sandbox.dir, 'project');
      mkdirSync(join(project, 'a'), { recursive: true });
      mkdirSync(join(project, 'b'), { recursive: true });
      writeFileSync(join(project, 'a', 'a.mjs'), appA);
      writeFileSync(join(project, 'b', 'b.mjs'), appB);
      writeFileSync(join(project, 'dapr.yaml'), `version: 1
name: pair
common:
  env:
    GREETING: common
apps:
  - appDirPath: ./a
    command: [${JSON.stringify(process.execPath)}, "a.mjs"]
    env:
      GREETING: hi
  - appID: b
    appDirPath: ./b
    appPort: ${await freePort()}
    command: [${JSON.stringify(process.execPath)}, "b.mjs"]
`);
      const run = sandbox.start(['run', '-f', project]);
      await until('A to print the answer of B', () => run.output().includes('== APP - a == A got: hello from b'), run, 60_000);
      assert.match(run.output(), /^== APP - a == greeting hi$/m, 'app env wins over common env');
      assert.match(run.output(), /^== OUTRIGGER - b == .*starting Outrigger/m);

      const instances = await until('both apps with their metadata', async () => {
        const found = await liveInstances(sandbox.home);
        return found.length === 2 && found.every((instance) => instance.appPid > 0 && instance.runTemplatePath !== '') ? found : undefined;
      }, run);
      sandbox.track(...instances.flatMap((instance) => [instance.appPid, instance.daprdPid]));
      assert.deepEqual(instances.map((instance) => instance.appId).sort(), ['a', 'b']);
      for (const instance of instances) {
        assert.equal(instance.cliPid, run.pid);
        assert.equal(instance.runTemplatePath, join(project, 'dapr.yaml'));
        assert.equal(instance.runTemplateName, 'pair');
      }

      const stop = await sandbox.run(['stop', '-f', project]);
      assert.equal(stop.code, 0, stop.output);
      assert.match(stop.stdout, /app stopped successfully: a/);
      assert.match(stop.stdout, /app stopped successfully: b/);
      const { code } = await run.exited;
      assert.equal(code, 0, run.output());
      await gone(instances.flatMap((instance) => [instance.appPid, instance.daprdPid]));
    } finally {
      await sandbox.cleanup();
    }
  });
});
