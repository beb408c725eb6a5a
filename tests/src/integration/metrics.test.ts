// The Prometheus endpoint: scraped and parsed as Prometheus would, counters and histograms move
// with the requests made, and the lifecycle gauges report the phase and calls in flight.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { call } from '../harness/http.js';
import { freePort } from '../harness/processes.js';
import { startRun, tempDir, writeStateComponents, type SidecarHandle } from '../harness/sidecars.js';

describe('Prometheus metrics', () => {
  const dir = tempDir();
  let sidecar: SidecarHandle;
  let metricsPort: number;

  const scrape = async () => {
    const response = await call('GET', `http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
    return parsePrometheusTextFormat(response.text);
  };
  const family = (families: Awaited<ReturnType<typeof scrape>>, name: string) => {
    const found = families.find((candidate) => candidate.name === name);
    assert.ok(found, `${name} is exported`);
    return found;
  };
  const requests = (families: Awaited<ReturnType<typeof scrape>>, path: string, status: string) =>
    family(families, 'dapr_http_server_request_count').metrics
      .filter((sample) => sample.labels?.path === path && sample.labels?.status === status)
      .reduce((sum, sample) => sum + Number(sample.value), 0);

  before(async () => {
    metricsPort = await freePort();
    sidecar = await startRun({ appId: 'measured', resourcesPath: writeStateComponents(dir.path), home: join(dir.path, 'home'), mode: 'sidecar', extraFlags: ['--metrics-port', String(metricsPort)] });
  });
  after(async () => {
    await sidecar?.stop();
    dir.cleanup();
  });

  it('counts API requests by route template and status, with latency histograms', async () => {
    const before = await scrape();
    const path = '/v1.0/state/{storeName}';
    const saved0 = requests(before, path, '204');
    for (let index = 0; index < 5; index++) await call('POST', `${sidecar.baseUrl}/v1.0/state/statestore`, [{ key: `k${index}`, value: index }]);
    await call('POST', `${sidecar.baseUrl}/v1.0/state/nope`, [{ key: 'k', value: 1 }]);
    const afterwards = await scrape();
    assert.equal(requests(afterwards, path, '204') - saved0, 5);
    assert.equal(requests(afterwards, path, '400'), 1);
    assert.equal(family(afterwards, 'dapr_http_server_latency').type, 'HISTOGRAM');
    // The parser folds labelled histograms into one sample, so the per-label count is read from its line.
    const text = (await call('GET', `http://127.0.0.1:${metricsPort}/metrics`)).text;
    const countLine = text.split('\n').find((line) => line.startsWith('dapr_http_server_latency_count{') && line.includes(`path="${path}"`) && line.includes('status="204"'));
    assert.ok(Number(countLine?.split(' ').at(-1)) >= 5, `histogram count for ${path}: ${countLine}`);
    assert.match(text, /dapr_http_server_latency_bucket\{le="1",/, 'daprd\'s millisecond buckets');
    const keyLabels = family(afterwards, 'dapr_http_server_request_count').metrics.map((item) => item.labels?.path ?? '');
    assert.ok(!keyLabels.some((label) => label.includes('k1')), 'no raw keys in labels');
  });

  it('reports components loaded and the lifecycle phase', async () => {
    const families = await scrape();
    const loaded = family(families, 'dapr_runtime_component_loaded').metrics.map((sample) => sample.labels?.component).sort();
    assert.deepEqual(loaded, ['memstore', 'statestore']);
    const phases = family(families, 'outrigger_lifecycle_phase').metrics.filter((sample) => Number(sample.value) === 1).map((sample) => sample.labels?.phase);
    assert.deepEqual(phases, ['ready']);
    assert.equal(Number(family(families, 'outrigger_app_inflight_requests').metrics[0]?.value), 0);
  });
});
