// HTTP middleware pipelines with real sidecars and apps: httpPipeline (requests to the sidecar's API) and
// appHttpPipeline (calls from the sidecar to its app), built from middleware.http.* components.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { call } from '../harness/http.js';
import { cliMain, freePort, Spawned, testAppsDir, writeFile } from '../harness/processes.js';
import { startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

const issuer = 'https://issuer.outrigger.test';
const audience = 'guarded-app';

function component(name: string, type: string, metadata: Record<string, string> = {}): string {
  const items = Object.entries(metadata).map(([key, value]) => `  - name: ${key}\n    value: ${JSON.stringify(value)}\n`).join('');
  return `---\napiVersion: dapr.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${name}\nspec:\n  type: ${type}\n  version: v1\n  metadata:\n${items}`;
}

function configuration(name: string, pipelines: Partial<Record<'httpPipeline' | 'appHttpPipeline', [string, string][]>>): string {
  let spec = '';
  for (const [kind, handlers] of Object.entries(pipelines)) {
    spec += `  ${kind}:\n    handlers:\n${handlers.map(([handler, type]) => `    - name: ${handler}\n      type: ${type}\n`).join('')}`;
  }
  return `apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: ${name}\nspec:\n${spec}`;
}

describe('HTTP middleware pipelines', () => {
  const dir = tempDir('outrigger-middleware-');
  const home = join(dir.path, 'home');
  let jwks: Server;
  let jwksUrl: string;
  let signingKey: CryptoKey;
  const sidecars: SidecarHandle[] = [];
  let guard: SidecarHandle;
  let appUpper: SidecarHandle;
  let apiUpper: SidecarHandle;

  /** A sidecar beside the echo app with these components and this Configuration (given with --config). */
  async function start(appId: string, components: string, config: string): Promise<SidecarHandle> {
    const resources = join(dir.path, appId, 'resources');
    writeFile(join(resources, 'components.yaml'), components);
    const configFile = writeFile(join(dir.path, appId, 'config.yaml'), config);
    const sidecar = await startRun({
      appId, resourcesPath: resources, home, appPort: await freePort(), waitForApp: true,
      appCommand: [process.execPath, join(testAppsDir, 'echo-app.mjs')], extraFlags: ['--config', configFile],
    });
    sidecars.push(sidecar);
    return sidecar;
  }

  function token(claims: { aud?: string; expiresAt?: number } = {}): Promise<string> {
    return new SignJWT({ sub: 'tester' }).setProtectedHeader({ alg: 'RS256', kid: 'test-key' }).setIssuer(issuer)
      .setAudience(claims.aud ?? audience).setIssuedAt().setExpirationTime(claims.expiresAt ?? '5m').sign(signingKey);
  }

  before(async () => {
    const pair = await generateKeyPair('RS256');
    signingKey = pair.privateKey;
    const key = { ...(await exportJWK(pair.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
    jwks = createServer((req, res) => {
      res.writeHead(req.url === '/jwks.json' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(req.url === '/jwks.json' ? JSON.stringify({ keys: [key] }) : '{}');
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;

    [guard, appUpper, apiUpper] = await Promise.all([
      start('mw-guard',
        component('routes', 'middleware.http.routerchecker', { rule: '^[A-Za-z0-9/._-]+$' })
        + component('auth', 'middleware.http.bearer', { issuer, audience, jwksURL: jwksUrl })
        + component('limit', 'middleware.http.ratelimit', { maxRequestsPerSecond: '2' }),
        configuration('guard', { httpPipeline: [['routes', 'middleware.http.routerchecker'], ['auth', 'middleware.http.bearer'], ['limit', 'middleware.http.ratelimit']] })),
      start('mw-appup', component('upper', 'middleware.http.uppercase'), configuration('app-upper', { appHttpPipeline: [['upper', 'middleware.http.uppercase']] })),
      start('mw-apiup', component('upper', 'middleware.http.uppercase', { direction: 'both' }), configuration('api-upper', { httpPipeline: [['upper', 'middleware.http.uppercase']] })),
    ]);
  });

  after(async () => {
    await Promise.all(sidecars.map((sidecar) => sidecar.stop()));
    jwks?.close();
    jwks?.closeAllConnections();
    dir.cleanup();
  });

  it('bearer: a valid token reaches the app; missing, expired and wrong-audience tokens get 401', async () => {
    const url = `${guard.baseUrl}/v1.0/invoke/mw-guard/method/bearer-ok`;
    const ok = await call('POST', url, 'hi', { authorization: `Bearer ${await token()}` });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.headers.get('x-echo-app'), 'mw-guard');
    const refusals: [string, Record<string, string>][] = [
      ['missing', {}],
      ['expired', { authorization: `Bearer ${await token({ expiresAt: Math.floor(Date.now() / 1000) - 3600 })}` }],
      ['wrong audience', { authorization: `Bearer ${await token({ aud: 'another-app' })}` }],
    ];
    for (const [what, headers] of refusals) {
      const refused = await call('POST', `${guard.baseUrl}/v1.0/invoke/mw-guard/method/bearer-refused`, 'hi', headers);
      assert.equal(refused.status, 401, `${what}: ${refused.text}`);
      assert.equal(refused.text, 'Unauthorized', what);
      assert.equal(refused.headers.get('x-echo-app'), null, `${what}: the app was not called`);
    }
  });

  it('health probes stay outside the pipeline, as they stay outside the API token', async () => {
    assert.equal((await call('GET', `${guard.baseUrl}/v1.0/healthz`)).status, 204);
  });

  it('routerchecker: a path outside the rule gets 400 "invalid router" before the token is looked at', async () => {
    const refused = await call('GET', `${guard.baseUrl}/v1.0/invoke/mw-guard/method/bad%20path`);
    assert.equal(refused.status, 400);
    assert.equal(refused.text, 'invalid router');
    const passed = await call('GET', `${guard.baseUrl}/v1.0/invoke/mw-guard/method/good-path`, undefined, { authorization: `Bearer ${await token()}` });
    assert.equal(passed.status, 200, passed.text);
  });

  it('ratelimit: over maxRequestsPerSecond for one caller and path the sidecar answers 429', async () => {
    const authorization = `Bearer ${await token()}`;
    const answers = await Promise.all(Array.from({ length: 8 }, () => call('GET', `${guard.baseUrl}/v1.0/metadata`, undefined, { authorization })));
    const statuses = answers.map((answer) => answer.status);
    const limited = answers.filter((answer) => answer.status === 429);
    assert.ok(statuses.filter((status) => status === 200).length >= 1, `some pass: ${statuses.join(',')}`);
    assert.ok(limited.length >= 5, `a burst of 2 (plus what refills meanwhile) passes, the rest is refused: ${statuses.join(',')}`);
    assert.equal(limited[0]?.text, 'You have reached maximum request limit.');
    assert.equal(limited[0]?.headers.get('ratelimit-limit'), '2');
  });

  it('uppercase (direction request) in appHttpPipeline: the app receives the body upper-cased, the answer is left alone', async () => {
    const answer = await call('POST', `${appUpper.baseUrl}/v1.0/invoke/mw-appup/method/echo`, 'hello app', { 'content-type': 'text/plain' });
    assert.equal(answer.status, 200, answer.text);
    assert.equal((answer.json() as { bodyText: string }).bodyText, 'HELLO APP');
  });

  it('uppercase (direction both) in httpPipeline: the invocation reaches the app upper-cased and its answer comes back upper-cased', async () => {
    const answer = await call('POST', `${apiUpper.baseUrl}/v1.0/invoke/mw-apiup/method/echo`, 'hello api', { 'content-type': 'text/plain' });
    assert.equal(answer.status, 200, answer.text);
    const echoed = answer.json() as Record<string, unknown>;
    assert.equal(echoed.BODYTEXT, 'HELLO API', answer.text);
    assert.equal(echoed.bodyText, undefined);
  });

  it('uppercase streams a large body both ways without holding it back', async () => {
    const size = 1 << 20;
    const answer = await call('POST', `${apiUpper.baseUrl}/v1.0/invoke/mw-apiup/method/echo`, 'a'.repeat(size), { 'content-type': 'text/plain' });
    assert.equal(answer.status, 200, answer.text.slice(0, 200));
    const echoed = answer.json() as Record<string, unknown>;
    assert.equal(echoed.BODYLENGTH, size);
    assert.equal(echoed.BODYSHA256, createHash('sha256').update('A'.repeat(size)).digest('hex').toUpperCase());
    assert.equal(answer.headers.get('content-length'), null, 'the length may change, so the answer is chunked');
  });

  it('the metadata API lists middleware components with their type and no capabilities', async () => {
    const metadata = (await call('GET', `${appUpper.baseUrl}/v1.0/metadata`)).json() as { components: { name: string; type: string; version: string; capabilities: string[] }[] };
    assert.deepEqual(metadata.components.find((entry) => entry.name === 'upper'), { name: 'upper', type: 'middleware.http.uppercase', version: 'v1', capabilities: [] });
  });

  /** Starts `outrigger sidecar` with this Configuration and waits for it to exit. */
  async function failedStart(name: string, components: string, config: string): Promise<{ code: number | null; output: string }> {
    const resources = join(dir.path, name, 'resources');
    writeFile(join(resources, 'components.yaml'), components);
    const configFile = writeFile(join(dir.path, name, 'config.yaml'), config);
    const sidecar = new Spawned(process.execPath, [cliMain, 'sidecar', '--app-id', name, '--dapr-http-port', String(await freePort()),
      '--dapr-grpc-port', String(await freePort()), '--resources-path', resources, '--config', configFile], { env: { ...process.env, OUTRIGGER_HOME: home } });
    const timer = setTimeout(() => void sidecar.stop(), 30_000);
    const code = await sidecar.exited;
    clearTimeout(timer);
    return { code, output: sidecar.output };
  }

  it('a pipeline naming a missing component, or a component of another type, stops start-up naming the Configuration and the handler', async () => {
    const missing = await failedStart('mw-missing', component('upper', 'middleware.http.uppercase'),
      configuration('bad-pipeline', { httpPipeline: [['upper', 'middleware.http.uppercase'], ['nothere', 'middleware.http.ratelimit']] }));
    assert.equal(missing.code, 1, missing.output);
    assert.match(missing.output, /Configuration "bad-pipeline": field "spec\.httpPipeline\.handlers\.1": handler "nothere" \(middleware\.http\.ratelimit\): no component named "nothere"/);

    const wrongType = await failedStart('mw-wrongtype', component('store', 'state.in-memory'),
      configuration('wrong-type', { appHttpPipeline: [['store', 'middleware.http.uppercase']] }));
    assert.equal(wrongType.code, 1, wrongType.output);
    assert.match(wrongType.output, /Configuration "wrong-type": field "spec\.appHttpPipeline\.handlers\.0": handler "store" \(middleware\.http\.uppercase\): component "store" has type state\.in-memory/);

    const notMiddleware = await failedStart('mw-notmw', component('store', 'state.in-memory'),
      configuration('not-middleware', { httpPipeline: [['store', 'state.in-memory']] }));
    assert.equal(notMiddleware.code, 1, notMiddleware.output);
    assert.match(notMiddleware.output, /Configuration "not-middleware".*spec\.httpPipeline\.handlers\.0\.type.*must be an HTTP middleware type/);

    const unknownType = await failedStart('mw-unknown', component('mystery', 'middleware.http.nosuch'),
      configuration('unknown-type', { httpPipeline: [['mystery', 'middleware.http.nosuch']] }));
    assert.equal(unknownType.code, 1, unknownType.output);
    assert.match(unknownType.output, /component "mystery": field "spec\.type": unknown component type "middleware\.http\.nosuch"/);
  });
});
