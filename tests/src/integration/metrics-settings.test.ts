// spec.metric in the Configuration: pathMatching labels matching paths with their template and others
// with an empty path; increasedCardinality keeps reduced paths; excludeVerbs empties the method;
// enabled: false and --enable-metrics false leave the endpoint off while the API serves.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { call } from '../harness/http.js';
import { freePort, testAppsDir, writeFile } from '../harness/processes.js';
import { scrapeText, samples, total } from '../harness/prometheus.js';
import { startRun, tempDir, writeStateComponents, type SidecarHandle } from '../harness/sidecars.js';

function configuration(metric: string): string {
  return `apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: metrics
spec:
  metric:
${metric}`;
}

/** True when nothing accepts connections on the port. */
async function refused(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
    return false;
  } catch (error) {
    return /ECONNREFUSED/.test(String((error as { cause?: unknown }).cause ?? error));
  }
}

describe('metrics settings from the Configuration', () => {
  const dir = tempDir();
  const sidecars: SidecarHandle[] = [];
  let resources: string;
  let home: string;

  before(() => {
    resources = writeStateComponents(dir.path);
    home = join(dir.path, 'home');
  });
  after(async () => {
    await Promise.all(sidecars.map((sidecar) => sidecar.stop()));
    dir.cleanup();
  });

  const start = async (appId: string, metric: string | undefined, extraFlags: string[] = [], withApp = false, mode: 'run' | 'sidecar' = 'run') => {
    const metricsPort = await freePort();
    const config = metric === undefined ? [] : ['--config', writeFile(join(dir.path, `${appId}.yaml`), configuration(metric))];
    const appPort = withApp ? await freePort() : undefined;
    const sidecar = await startRun({
      appId, resourcesPath: resources, home, mode, extraFlags: ['--metrics-port', String(metricsPort), ...config, ...extraFlags],
      ...(withApp ? { appPort, waitForApp: true, appCommand: [process.execPath, join(testAppsDir, 'echo-app.mjs')] } : {}),
    });
    sidecars.push(sidecar);
    return { sidecar, metricsPort };
  };

  it('labels paths matching a pathMatching template with the template, others with an empty path; excludeVerbs empties the method', async () => {
    const { sidecar, metricsPort } = await start('matcher', `    http:
      pathMatching: ["/orders/{id}"]
      excludeVerbs: true
`, [], true);
    const before = await scrapeText(metricsPort);
    for (const path of ['orders/7', 'orders/8', 'users/9']) assert.equal((await call('GET', `${sidecar.baseUrl}/v1.0/invoke/matcher/method/${path}`)).status, 200);
    const afterwards = await scrapeText(metricsPort);
    const moved = (name: string, labels: Record<string, string>) => total(afterwards, name, labels) - total(before, name, labels);
    assert.equal(moved('dapr_http_server_request_count', { method: '', path: '/v1.0/invoke/{app_id}/method/orders/{id}', status: '200' }), 2);
    assert.equal(moved('dapr_http_server_request_count', { method: '', path: '', status: '200' }), 1, 'the unmatched path is empty');
    assert.equal(moved('dapr_http_client_completed_count', { method: '', path: '/orders/{id}', status: '200' }), 2, 'calls into the app match the template itself');
    assert.equal(moved('dapr_http_client_completed_count', { method: '', path: '', status: '200' }), 1);
    const values = samples(afterwards).flatMap((sample) => Object.values(sample.labels));
    assert.ok(!values.some((value) => /orders\/[78]|users/.test(value)), 'no raw path in any label');
    assert.ok(!samples(afterwards).some((sample) => sample.name.startsWith('dapr_http_') && sample.labels.method === 'GET'), 'no verb in HTTP labels');
  });

  it('keeps reduced paths with increasedCardinality: state keys cut off, invocation paths kept', async () => {
    const { sidecar, metricsPort } = await start('wide', `    http:
      increasedCardinality: true
`, [], true);
    assert.equal((await call('POST', `${sidecar.baseUrl}/v1.0/state/statestore`, [{ key: 'customer-1', value: 1 }])).status, 204);
    assert.equal((await call('GET', `${sidecar.baseUrl}/v1.0/state/statestore/customer-1`)).status, 200);
    assert.equal((await call('GET', `${sidecar.baseUrl}/v1.0/invoke/wide/method/users/9`)).status, 200);
    const text = await scrapeText(metricsPort);
    assert.equal(total(text, 'dapr_http_server_request_count', { method: 'POST', path: '/v1.0/state/statestore', status: '204' }), 1);
    assert.equal(total(text, 'dapr_http_server_request_count', { method: 'GET', path: '/v1.0/state/statestore', status: '200' }), 1);
    assert.equal(total(text, 'dapr_http_server_request_count', { method: 'GET', path: '/v1.0/invoke/wide/method/users/9', status: '200' }), 1, 'asked for: the invocation path');
    assert.ok(!samples(text).some((sample) => Object.values(sample.labels).some((value) => value.includes('customer-1'))), 'no state key in any label');
  });

  it('takes custom latency buckets', async () => {
    const { sidecar, metricsPort } = await start('buckets', `    latencyDistributionBuckets: [7, 700]
`);
    await call('GET', `${sidecar.baseUrl}/v1.0/metadata`);
    const text = await scrapeText(metricsPort);
    const bounds = samples(text).filter((sample) => sample.name === 'dapr_http_server_latency_bucket').map((sample) => sample.labels.le);
    assert.deepEqual([...new Set(bounds)], ['7', '700', '+Inf']);
  });

  it('serves no metrics with enabled: false or --enable-metrics false, while the API serves', async () => {
    const off = await start('metrics-off', `    enabled: false
`, [], false);
    // daprd's flag: on `outrigger sidecar` (`outrigger run` has none, as `dapr run` has none).
    const flagged = await start('flag-off', undefined, ['--enable-metrics', 'false'], false, 'sidecar');
    const on = await start('metrics-on', `    enabled: true
`);
    // The same start on another port serves metrics: the refusals below are the settings', not the harness's.
    assert.ok((await scrapeText(on.metricsPort)).includes('dapr_http_server_request_count'));
    for (const { sidecar, metricsPort } of [off, flagged]) {
      assert.equal((await call('GET', `${sidecar.baseUrl}/v1.0/metadata`)).status, 200);
      assert.ok(await refused(metricsPort), `nothing listens on ${metricsPort}`);
    }
  });
});
