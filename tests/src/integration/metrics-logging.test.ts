// Logs: --log-as-json lines carry daprd's fields; API logging turned on by the Configuration
// (spec.logging.apiLogging) or by --enable-api-logging writes one line per call, and neither a secret
// value, the API token, an authorization header nor query metadata reaches the sidecar's output, even at
// debug level. obfuscateURLs names endpoints instead of paths; omitHealthChecks leaves health probes out.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@outrigger/kit';
import { componentYaml } from '../harness/component-yaml.js';
import { daprGrpcClient, waitForGrpcApi } from '../harness/grpc.js';
import { call } from '../harness/http.js';
import { writeFile } from '../harness/processes.js';
import { startRun, tempDir, writeStateComponents, type SidecarHandle } from '../harness/sidecars.js';

const secretValue = 'S3cr3t-Value-Never-Logged';
const apiToken = 'Api-Token-Never-Logged';
const bearer = 'Bearer-Never-Logged';
const queryCredential = 'Query-Password-Never-Logged';

type LogLine = Record<string, unknown>;

/** The JSON lines of a process's output; anything else (there should be nothing) is returned as text. */
function jsonLines(output: string): { lines: LogLine[]; other: string[] } {
  const lines: LogLine[] = [];
  const other: string[] = [];
  for (const line of output.split('\n').filter((text) => text.trim() !== '')) {
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      other.push(line);
    }
  }
  return { lines, other };
}

describe('logging', () => {
  const dir = tempDir();
  let configured: SidecarHandle;
  let flagged: SidecarHandle;

  before(async () => {
    const secretsFile = writeFile(join(dir.path, 'secrets.json'), JSON.stringify({ dbpass: secretValue }));
    const resources = writeStateComponents(dir.path, componentYaml('localsecrets', 'secretstores.local.file', { secretsFile }));
    const config = writeFile(join(dir.path, 'config.yaml'), `apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: logging
spec:
  logging:
    apiLogging:
      enabled: true
      obfuscateURLs: true
      omitHealthChecks: true
`);
    const home = join(dir.path, 'home');
    const flags = ['--log-as-json', '--log-level', 'debug'];
    [configured, flagged] = await Promise.all([
      startRun({ appId: 'logged', resourcesPath: resources, home, mode: 'sidecar', env: { DAPR_API_TOKEN: apiToken }, extraFlags: [...flags, '--config', config] }),
      startRun({ appId: 'flagged', resourcesPath: resources, home, mode: 'sidecar', env: { DAPR_API_TOKEN: apiToken }, extraFlags: [...flags, '--enable-api-logging'] }),
    ]);
    for (const sidecar of [configured, flagged]) {
      const headers = { 'dapr-api-token': apiToken, authorization: `Bearer ${bearer}` };
      const secret = await call('GET', `${sidecar.baseUrl}/v1.0/secrets/localsecrets/dbpass`, undefined, headers);
      assert.deepEqual(secret.json(), { dbpass: secretValue });
      assert.equal((await call('POST', `${sidecar.baseUrl}/v1.0/state/statestore?metadata.password=${queryCredential}`, [{ key: 'customer-42', value: 1 }], headers)).status, 204);
      assert.equal((await call('GET', `${sidecar.baseUrl}/v1.0/healthz`)).status, 204);
      assert.equal((await call('GET', `${sidecar.baseUrl}/v1.0/metadata`, undefined, { 'dapr-api-token': 'wrong-token' })).status, 401);
      await waitForGrpcApi(sidecar, apiToken);
      const answer = await daprGrpcClient(sidecar.grpcPort, apiToken).getSecret({ storeName: 'localsecrets', key: 'dbpass' });
      assert.equal(answer.data.dbpass, secretValue);
    }
    // API lines are written when the response has finished; wait for the last one.
    for (const sidecar of [configured, flagged]) {
      await waitFor('the last API lines', () => sidecar.process.output.includes('"code":401') && sidecar.process.output.includes('Dapr/GetSecret'), 10_000);
    }
  });
  after(async () => {
    await Promise.all([configured?.stop(), flagged?.stop()]);
    dir.cleanup();
  });

  it('writes every line as JSON with daprd\'s fields', () => {
    for (const sidecar of [configured, flagged]) {
      const { lines, other } = jsonLines(sidecar.process.output);
      assert.deepEqual(other, [], 'only JSON lines');
      assert.ok(lines.length > 5);
      for (const line of lines) {
        for (const field of ['time', 'level', 'msg', 'scope', 'app_id', 'instance', 'ver']) assert.ok(field in line, `${field} in ${JSON.stringify(line)}`);
        assert.equal(line.app_id, sidecar.appId);
        assert.equal(line.instance, hostname());
        assert.ok(!Number.isNaN(Date.parse(String(line.time))));
      }
    }
  });

  it('never writes secret values, API tokens, authorization headers or query metadata', () => {
    for (const sidecar of [configured, flagged]) {
      for (const forbidden of [secretValue, apiToken, bearer, queryCredential, 'wrong-token']) {
        assert.ok(!sidecar.process.output.includes(forbidden), `${forbidden} appears in the output of ${sidecar.appId}`);
      }
    }
  });

  it('names endpoints instead of paths with obfuscateURLs, and leaves health checks out with omitHealthChecks', () => {
    const api = jsonLines(configured.process.output).lines.filter((line) => line.msg === 'HTTP API Called');
    const methods = api.map((line) => String(line.method));
    assert.ok(methods.includes('GetSecret') && methods.includes('SaveState'), methods.join(', '));
    assert.ok(!methods.some((method) => method.includes('dbpass') || method.includes('customer-42') || method.includes('/')), methods.join(', '));
    assert.ok(!methods.some((method) => method.startsWith('Healthz')), 'no health checks');
    const secretLine = api.find((line) => line.method === 'GetSecret');
    assert.equal(secretLine?.code, 200);
    assert.equal(secretLine?.scope, 'dapr.runtime.http-info');
    assert.equal(typeof secretLine?.duration, 'number');
    assert.ok(Number(secretLine?.size) > 0);
  });

  it('logs gRPC API calls with the full method, the numeric status and the duration', () => {
    for (const sidecar of [configured, flagged]) {
      const grpc = jsonLines(sidecar.process.output).lines.filter((line) => line.msg === 'gRPC API Called');
      const secret = grpc.find((line) => line.method === '/dapr.proto.runtime.v1.Dapr/GetSecret');
      assert.ok(secret, JSON.stringify(grpc));
      assert.equal(secret.code, 0);
      assert.equal(secret.scope, 'dapr.runtime.grpc.api-info');
      assert.equal(typeof secret.duration, 'number');
    }
  });

  it('logs paths and health checks when only --enable-api-logging asks for API logs', () => {
    const methods = jsonLines(flagged.process.output).lines.filter((line) => line.msg === 'HTTP API Called').map((line) => String(line.method));
    assert.ok(methods.includes('GET /v1.0/secrets/localsecrets/dbpass'), methods.join(', '));
    assert.ok(methods.includes('POST /v1.0/state/statestore'), 'the path without its query');
    assert.ok(methods.includes('GET /v1.0/healthz'), 'health checks logged');
  });
});
