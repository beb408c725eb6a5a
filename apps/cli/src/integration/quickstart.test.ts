// The README's promise: `outrigger init`, then `outrigger run` with an SDK app, saves and reads state.
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Sandbox } from './harness.js';

const helloApp = fileURLToPath(new URL('../../../../examples/hello-state/app.mjs', import.meta.url));
const sandbox = new Sandbox();
after(() => sandbox.cleanup());

it('init then run with the hello-state SDK app saves and reads state on the embedded store, twice', async () => {
  assert.equal((await sandbox.run(['init'])).code, 0);
  const first = await sandbox.run(['run', '--app-id', 'hello', '--', process.execPath, helloApp], 60_000);
  assert.equal(first.code, 0, first.output);
  assert.match(first.output, /== APP == saved visits=1, read back visits=1/);
  const second = await sandbox.run(['run', '--app-id', 'hello', '--', process.execPath, helloApp], 60_000);
  assert.equal(second.code, 0, second.output);
  assert.match(second.output, /saved visits=2, read back visits=2/, 'state survived in the SQLite file');
});
