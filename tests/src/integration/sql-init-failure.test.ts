// A database that cannot be reached at start stops the sidecar with exit code 1 and a message naming
// the component and the server, within the component's initTimeout.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { cliMain, freePort, Spawned, tempDir, writeFile } from '../harness/processes.js';
import { componentYaml } from '../harness/sql-services.js';

async function startSidecar(yaml: string): Promise<{ code: number | null; output: string }> {
  const dir = tempDir('outrigger-sql-init-');
  try {
    const resources = join(dir.path, 'resources');
    writeFile(join(resources, 'components.yaml'), yaml);
    const sidecar = new Spawned(process.execPath, [cliMain, 'sidecar', '--app-id', 'sql-init', '--dapr-http-port', String(await freePort()),
      '--dapr-grpc-port', String(await freePort()), '--resources-path', resources], { env: { ...process.env, OUTRIGGER_HOME: join(dir.path, 'home') } });
    const timer = setTimeout(() => void sidecar.stop(), 30_000);
    const code = await sidecar.exited;
    clearTimeout(timer);
    return { code, output: sidecar.output };
  } finally {
    dir.cleanup();
  }
}

describe('SQL components that cannot connect at start', () => {
  it('state.postgresql: exit 1, naming the component and the server', async () => {
    const port = await freePort();
    const { code, output } = await startSidecar(componentYaml('pgstate', 'state.postgresql', { connectionString: `host=127.0.0.1 port=${port} user=postgres database=test` }));
    assert.equal(code, 1, output);
    assert.match(output, /pgstate/);
    assert.match(output, new RegExp(`cannot connect to PostgreSQL at postgres@127\\.0\\.0\\.1:${port}/test: .*ECONNREFUSED`));
  });

  it('state.mysql: exit 1, naming the component and the server', async () => {
    const port = await freePort();
    const { code, output } = await startSidecar(componentYaml('mystate', 'state.mysql', { connectionString: `root:@tcp(127.0.0.1:${port})/` }));
    assert.equal(code, 1, output);
    assert.match(output, /mystate/);
    assert.match(output, new RegExp(`cannot connect to MySQL at root@127\\.0\\.0\\.1:${port}/: .*ECONNREFUSED`));
  });

  it('an initTimeout shorter than the connection attempt ends init at the timeout', async () => {
    // A server that accepts connections and never answers: the PostgreSQL handshake waits for its own 20 s timeout.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const yaml = componentYaml('slow', 'bindings.postgresql', { connectionString: `host=127.0.0.1 port=${port} user=postgres connect_timeout=20` })
        .replace('  version: v1\n', '  version: v1\n  initTimeout: 1s\n');
      const started = Date.now();
      const { code, output } = await startSidecar(yaml);
      assert.equal(code, 1, output);
      assert.match(output, /component "slow".*init did not finish within 1000 ms/);
      assert.ok(Date.now() - started < 15_000, 'the sidecar did not wait for the connection attempt');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
