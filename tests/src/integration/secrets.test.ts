// The secrets API through the official @dapr/dapr SDK (HTTP) and plain HTTP, on both local secret
// stores, with secret scopes from --config, and secretKeyRef resolution in component metadata.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';
import { waitFor } from '@outrigger/kit';
import { call, errorOf } from '../harness/http.js';
import { cliMain, freePort, Spawned, writeFile } from '../harness/processes.js';
import { startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

const dir = tempDir();
after(() => dir.cleanup());

const dbFile = join(dir.path, 'from-secret.db');
const secretsFile = writeFile(join(dir.path, 'secrets.json'), JSON.stringify({
  db: { password: 'p@ss "word"', connection: dbFile },
  denied: 'never shown',
  multi: { user: 'ada', password: 'lovelace' },
}));

// The state store comes first in the file and takes its connection string from a store declared after it.
const components = `apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: statestore
spec:
  type: state.sqlite
  version: v1
  metadata:
  - name: connectionString
    secretKeyRef:
      name: db:connection
auth:
  secretStore: localsecretstore
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: localsecretstore
spec:
  type: secretstores.local.file
  version: v1
  metadata:
  - name: secretsFile
    value: ${JSON.stringify(secretsFile)}
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: multistore
spec:
  type: secretstores.local.file
  version: v1
  metadata:
  - name: secretsFile
    value: ${JSON.stringify(secretsFile)}
  - name: multiValued
    value: true
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: envstore
spec:
  type: secretstores.local.env
  version: v1
  metadata:
  - name: prefix
    value: SECRETS_TEST_
`;

const config = (scopes: string) => `apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: appconfig
spec:
  secrets:
    scopes:
${scopes}`;

const resources = join(dir.path, 'resources');
writeFile(join(resources, 'components.yaml'), components);
const configFile = writeFile(join(dir.path, 'config.yaml'), config(`    - storeName: localsecretstore
      deniedSecrets: ["denied"]
    - storeName: envstore
      defaultAccess: deny
      allowedSecrets: ["TOKEN"]
`));

describe('secrets', () => {
  let sidecar: SidecarHandle;
  let client: DaprClient;
  let url: (path: string) => string;

  before(async () => {
    sidecar = await startRun({
      appId: 'secrets-app', resourcesPath: resources, home: join(dir.path, 'home'), mode: 'sidecar', extraFlags: ['--config', configFile],
      env: { SECRETS_TEST_TOKEN: 'env-token', SECRETS_TEST_HIDDEN: 'out of scope' },
    });
    url = (path) => `${sidecar.baseUrl}${path}`;
    client = new DaprClient({ daprHost: '127.0.0.1', daprPort: String(sidecar.httpPort), communicationProtocol: CommunicationProtocolEnum.HTTP, logger: { level: LogLevel.Error } });
    await client.start();
  });

  after(async () => {
    await client?.stop();
    await sidecar?.stop();
  });

  it('reads secrets with the SDK: nested names, metadata, several values, environment', async () => {
    assert.deepEqual(await client.secret.get('localsecretstore', 'db:password'), { 'db:password': 'p@ss "word"' });
    assert.deepEqual(await client.secret.get('localsecretstore', 'db:password', 'metadata.namespace=default'), { 'db:password': 'p@ss "word"' });
    assert.deepEqual(await client.secret.get('multistore', 'multi'), { user: 'ada', password: 'lovelace' });
    assert.deepEqual(await client.secret.get('envstore', 'TOKEN'), { TOKEN: 'env-token' });
  });

  it('lists secrets with the SDK\'s getBulk, leaving out what the scopes deny', async () => {
    const local = await client.secret.getBulk('localsecretstore') as Record<string, Record<string, string>>;
    assert.deepEqual(Object.keys(local).sort(), ['db:connection', 'db:password', 'multi:password', 'multi:user']);
    assert.deepEqual(local['db:password'], { 'db:password': 'p@ss "word"' });
    assert.deepEqual(await client.secret.getBulk('envstore'), { TOKEN: { TOKEN: 'env-token' } });
    const multi = await client.secret.getBulk('multistore') as Record<string, Record<string, string>>;
    assert.deepEqual(multi.multi, { user: 'ada', password: 'lovelace' });
  });

  it('answers with daprd\'s codes and messages over plain HTTP', async () => {
    const ok = await call('GET', url('/v1.0/secrets/localsecretstore/db:password'));
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('content-type') ?? '', /application\/json/);

    const cases: [string, number, string, string][] = [
      ['/v1.0/secrets/nosuch/x', 401, 'ERR_SECRET_STORE_NOT_FOUND', 'failed finding secret store with key nosuch'],
      ['/v1.0/secrets/nosuch/bulk', 401, 'ERR_SECRET_STORE_NOT_FOUND', 'failed finding secret store with key nosuch'],
      ['/v1.0/secrets/localsecretstore/denied', 403, 'ERR_PERMISSION_DENIED', 'access denied by policy to get "denied" from "localsecretstore"'],
      ['/v1.0/secrets/envstore/HIDDEN', 403, 'ERR_PERMISSION_DENIED', 'access denied by policy to get "HIDDEN" from "envstore"'],
      ['/v1.0/secrets/localsecretstore/nope', 500, 'ERR_SECRET_GET', 'failed getting secret with key nope from secret store localsecretstore: secret nope not found'],
    ];
    for (const [path, status, errorCode, message] of cases) {
      const response = await call('GET', url(path));
      assert.equal(response.status, status, `${path}: ${response.text}`);
      assert.deepEqual(errorOf(response), { errorCode, message }, path);
    }
    // The SDK reports the same error with the status it got.
    await assert.rejects(client.secret.get('localsecretstore', 'denied'), /"status":403/);
  });

  it('resolves secretKeyRef: the state store opened the database named by the secret', async () => {
    await client.state.save('statestore', [{ key: 'k', value: { from: 'secret' } }]);
    assert.deepEqual(await client.state.get('statestore', 'k'), { from: 'secret' });
    assert.ok(existsSync(dbFile), `expected the database at ${dbFile}`);
  });

  it('reports secret stores and their capabilities in the metadata API', async () => {
    const metadata = (await call('GET', url('/v1.0/metadata'))).json() as { components: { name: string; type: string; capabilities: string[] }[] };
    const byName = new Map(metadata.components.map((component) => [component.name, component]));
    assert.equal(byName.get('envstore')?.type, 'secretstores.local.env');
    assert.deepEqual(byName.get('localsecretstore')?.capabilities, []);
    assert.deepEqual(byName.get('multistore')?.capabilities, ['MULTIPLE_KEY_VALUES_PER_SECRET']);
  });
});

describe('secrets without secret stores', () => {
  it('answers 500 ERR_SECRET_STORES_NOT_CONFIGURED', async () => {
    const empty = writeFile(join(dir.path, 'empty', 'state.yaml'), 'apiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: mem\nspec:\n  type: state.in-memory\n  version: v1\n');
    const sidecar = await startRun({ appId: 'no-secrets', resourcesPath: join(empty, '..'), home: join(dir.path, 'home'), mode: 'sidecar' });
    try {
      for (const path of ['/v1.0/secrets/any/key', '/v1.0/secrets/any/bulk']) {
        const response = await call('GET', `${sidecar.baseUrl}${path}`);
        assert.equal(response.status, 500);
        assert.deepEqual(errorOf(response), { errorCode: 'ERR_SECRET_STORES_NOT_CONFIGURED', message: 'secret store is not configured' });
      }
    } finally {
      await sidecar.stop();
    }
  });
});

describe('secrets that stop start-up', () => {
  /** Runs `outrigger sidecar` expecting it to exit on its own; returns its exit code and output. */
  async function failedStart(resourcesPath: string, extraFlags: string[] = []): Promise<{ code: number | null; output: string }> {
    const spawned = new Spawned(process.execPath, [cliMain, 'sidecar', '--app-id', 'bad-secrets', '--dapr-http-port', String(await freePort()),
      '--dapr-grpc-port', String(await freePort()), '--resources-path', resourcesPath, ...extraFlags],
    { env: { ...process.env, OUTRIGGER_HOME: join(dir.path, 'home') } });
    try {
      await waitFor('the sidecar to exit', async () => !spawned.running, 20_000);
      return { code: await spawned.exited, output: spawned.output };
    } finally {
      await spawned.stop();
    }
  }

  it('refuses a secretKeyRef to a missing secret, naming the component and field', async () => {
    const bad = writeFile(join(dir.path, 'bad-ref', 'c.yaml'), components.replace('name: db:connection', 'name: db:absent'));
    const { code, output } = await failedStart(join(bad, '..'));
    assert.equal(code, 1, output);
    assert.match(output, /component "statestore": field "spec\.metadata\.connectionString": secretKeyRef "db:absent": secret db:absent not found/);
  });

  it('refuses invalid secret scopes, naming the file and field', async () => {
    const badConfig = writeFile(join(dir.path, 'bad-config.yaml'), config('    - storeName: envstore\n      defaultAccess: sometimes\n'));
    const { code, output } = await failedStart(resources, ['--config', badConfig]);
    assert.equal(code, 1, output);
    assert.match(output, /bad-config\.yaml: Configuration "appconfig": field "spec\.secrets\.scopes\.0\.defaultAccess": "sometimes" must be allow or deny/);
  });
});
