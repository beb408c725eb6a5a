// Resiliency on a component's outbound calls: state.redis stores on a private redis-server that is
// stopped under them. A store with a retry policy retries (seen in the sidecar's debug log and in the
// time taken) and ends with daprd's error; one whose policy outlasts the outage recovers; a store
// without a policy fails at once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { waitFor } from '@outrigger/kit';
import { call, errorOf } from '../harness/http.js';
import { freePort, writeFile, type Spawned } from '../harness/processes.js';
import { redisComponentYaml, startPrivateRedis } from '../harness/redis.js';
import { startRun, tempDir, type SidecarHandle } from '../harness/sidecars.js';

const resiliencyYaml = `---
apiVersion: dapr.io/v1alpha1
kind: Resiliency
metadata:
  name: store-policies
spec:
  policies:
    retries:
      threeQuick:
        policy: constant
        duration: 200ms
        maxRetries: 3
      patient:
        policy: constant
        duration: 250ms
        maxRetries: 40
    circuitBreakers:
      twoStrikes:
        maxRequests: 1
        timeout: 1s
        trip: consecutiveFailures >= 2
  targets:
    components:
      statestore:
        outbound:
          retry: threeQuick
      patientstore:
        outbound:
          retry: patient
      breakerstore:
        outbound:
          circuitBreaker: twoStrikes
`;

describe('resiliency: component outbound calls', () => {
  const dir = tempDir();
  const dataDir = join(dir.path, 'redis-data');
  let redis: Spawned | undefined;
  let port = 0;
  let sidecar: SidecarHandle;

  const save = (store: string, key: string, value: string) => call('POST', `${sidecar.baseUrl}/v1.0/state/${store}`, JSON.stringify([{ key, value }]), { 'content-type': 'application/json' });
  const retriesLogged = (store: string) => sidecar.process.output.split('\n').filter((line) => line.includes(`component[${store}] outbound: retry`)).length;

  before(async () => {
    port = await freePort();
    writeFile(join(dataDir, '.keep'), '');
    redis = await startPrivateRedis(port, dataDir);
    const resources = join(dir.path, 'resources');
    const address = `127.0.0.1:${port}`;
    writeFile(join(resources, 'stores.yaml'), redisComponentYaml('statestore', 'state.redis', address)
      + redisComponentYaml('patientstore', 'state.redis', address) + redisComponentYaml('plainstore', 'state.redis', address)
      + redisComponentYaml('breakerstore', 'state.redis', address) + resiliencyYaml);
    sidecar = await startRun({ appId: 'store-user', resourcesPath: resources, home: join(dir.path, 'home'), extraFlags: ['--log-level', 'debug'] });
  });

  after(async () => {
    await sidecar?.stop();
    await redis?.stop();
    dir.cleanup();
  });

  it('logs the policies it loaded', () => {
    assert.match(sidecar.process.output, /resiliency configuration loaded: store-policies/);
  });

  it('retries a store call as its policy says and ends with daprd\'s error once the store stays down', async () => {
    assert.equal((await save('statestore', 'k1', 'before')).status, 204);
    await redis?.stop();
    const before = retriesLogged('statestore');
    const started = Date.now();
    const failed = await save('statestore', 'k1', 'during');
    const elapsed = Date.now() - started;
    assert.equal(failed.status, 500);
    assert.equal(errorOf(failed).errorCode, 'ERR_STATE_SAVE');
    assert.match(errorOf(failed).message, /^failed saving state in state store statestore: /);
    await waitFor('the retries in the log', () => retriesLogged('statestore') - before === 3, 2_000);
    assert.ok(elapsed >= 550, `three waits of 200 ms (took ${elapsed} ms)`);

    const plainStarted = Date.now();
    const plain = await save('plainstore', 'k1', 'during');
    assert.equal(plain.status, 500);
    assert.equal(errorOf(plain).errorCode, 'ERR_STATE_SAVE');
    assert.equal(retriesLogged('plainstore'), 0, 'no policy, no retries');
    assert.ok(Date.now() - plainStarted < 550);
  });

  it('rides out an outage shorter than its retries', async () => {
    if (redis?.running) await redis.stop();
    const before = retriesLogged('patientstore');
    const saving = save('patientstore', 'k2', 'saved across the outage');
    await waitFor('two retries against the stopped store', () => retriesLogged('patientstore') - before >= 2, 5_000);
    redis = await startPrivateRedis(port, dataDir);
    const saved = await saving;
    assert.equal(saved.status, 204);
    const read = await call('GET', `${sidecar.baseUrl}/v1.0/state/patientstore/k2`);
    assert.equal(read.status, 200);
    assert.equal(read.json(), 'saved across the outage');
  });

  it('opens a store\'s circuit breaker after its trip condition and closes it once a probe succeeds', async () => {
    if (!redis?.running) redis = await startPrivateRedis(port, dataDir);
    assert.equal((await save('breakerstore', 'k3', 'first')).status, 204);
    await redis.stop();
    const read = () => call('GET', `${sidecar.baseUrl}/v1.0/state/breakerstore/k3`);
    for (let index = 0; index < 2; index++) {
      const failed = await read();
      assert.equal(failed.status, 500);
      assert.equal(errorOf(failed).errorCode, 'ERR_STATE_GET');
      assert.doesNotMatch(errorOf(failed).message, /circuit breaker/);
    }
    const refused = await read();
    assert.equal(refused.status, 500);
    assert.deepEqual(errorOf(refused), { errorCode: 'ERR_STATE_GET', message: 'fail to get k3 from state store breakerstore: circuit breaker is open' });
    await waitFor('the breaker\'s state change in the log', () => /circuit breaker twoStrikes for component\[breakerstore\] outbound changed state from closed to open/.test(sidecar.process.output), 2_000);
    redis = await startPrivateRedis(port, dataDir);
    const answer = await waitFor('a probe after the breaker\'s timeout', async () => {
      const attempt = await read();
      return attempt.status === 200 ? attempt : undefined;
    }, 10_000, 100);
    assert.equal(answer.json(), 'first');
    await waitFor('the breaker closing in the log', () => /component\[breakerstore\] outbound changed state from half-open to closed/.test(sidecar.process.output), 2_000);
  });
});
