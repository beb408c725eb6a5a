// The Prometheus endpoint with default settings: scraped as Prometheus would, daprd's HTTP server,
// HTTP client (an invocation through two sidecars), component (state, pub/sub) and lifecycle metrics
// move with the requests made, and no label carries a key, an app path or an id.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { waitFor } from '@outrigger/kit';
import { componentYaml } from '../harness/component-yaml.js';
import { daprGrpcClient, waitForGrpcApi } from '../harness/grpc.js';
import { call } from '../harness/http.js';
import { freePort, testAppsDir, writeFile } from '../harness/processes.js';
import { scrapeText, samples, total } from '../harness/prometheus.js';
import { inMemoryPubSubYaml, startRun, tempDir, waitForRunMetadata, writeStateComponents, type SidecarHandle } from '../harness/sidecars.js';

describe('Prometheus metrics', () => {
  const dir = tempDir();
  let measured: SidecarHandle;
  let echoed: SidecarHandle;
  let metricsPort: number;
  let echoMetricsPort: number;

  before(async () => {
    const secretsFile = writeFile(join(dir.path, 'secrets.json'), JSON.stringify({ dbpass: 'p' }));
    const resources = writeStateComponents(dir.path, inMemoryPubSubYaml()
      + componentYaml('localsecrets', 'secretstores.local.file', { secretsFile })
      + componentYaml('files', 'bindings.localstorage', { rootPath: join(dir.path, 'files') })
      + componentYaml('tick', 'bindings.cron', { schedule: '@every 1s' }) + 'scopes: [echoed]\n');
    const home = join(dir.path, 'home');
    [metricsPort, echoMetricsPort] = [await freePort(), await freePort()];
    const [appPort, echoPort] = [await freePort(), await freePort()];
    [measured, echoed] = await Promise.all([
      startRun({
        appId: 'measured', resourcesPath: resources, home, appPort, waitForApp: true, extraFlags: ['--metrics-port', String(metricsPort)],
        appCommand: [process.execPath, join(testAppsDir, 'pubsub-recorder.mjs')],
        env: { SUBSCRIPTIONS: JSON.stringify([{ pubsubname: 'pubsub', topic: 'shipments', route: '/shipments' }]) },
      }),
      startRun({
        appId: 'echoed', resourcesPath: resources, home, appPort: echoPort, waitForApp: true, extraFlags: ['--metrics-port', String(echoMetricsPort)],
        appCommand: [process.execPath, join(testAppsDir, 'echo-app.mjs')],
      }),
    ]);
    await Promise.all([waitForRunMetadata(measured), waitForRunMetadata(echoed)]);
  });
  after(async () => {
    await Promise.all([measured?.stop(), echoed?.stop()]);
    dir.cleanup();
  });

  it('serves Prometheus text with daprd\'s metric types', async () => {
    const response = await call('GET', `http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/plain/);
    const families = new Map(parsePrometheusTextFormat(response.text).map((family) => [family.name, family.type]));
    for (const name of ['dapr_http_server_request_count', 'dapr_http_client_completed_count', 'dapr_component_state_count', 'dapr_component_pubsub_egress_count', 'dapr_runtime_component_loaded']) {
      assert.equal(families.get(name), 'COUNTER', name);
    }
    for (const name of ['dapr_http_server_latency', 'dapr_http_server_request_bytes', 'dapr_http_server_response_bytes', 'dapr_http_client_roundtrip_latency', 'dapr_http_client_sent_bytes', 'dapr_component_state_latencies', 'dapr_grpc_io_server_server_latency']) {
      assert.equal(families.get(name), 'HISTOGRAM', name);
    }
  });

  it('counts API requests with an empty path label, with latency and size histograms', async () => {
    const before = await scrapeText(metricsPort);
    const saved = { app_id: 'measured', method: 'POST', path: '', status: '204' };
    for (let index = 0; index < 5; index++) assert.equal((await call('POST', `${measured.baseUrl}/v1.0/state/statestore`, [{ key: `customer-${index}`, value: 'x'.repeat(100) }])).status, 204);
    assert.equal((await call('POST', `${measured.baseUrl}/v1.0/state/nope`, [{ key: 'k', value: 1 }])).status, 400);
    const afterwards = await scrapeText(metricsPort);
    assert.equal(total(afterwards, 'dapr_http_server_request_count', saved) - total(before, 'dapr_http_server_request_count', saved), 5);
    assert.equal(total(afterwards, 'dapr_http_server_request_count', { status: '400' }) - total(before, 'dapr_http_server_request_count', { status: '400' }), 1);
    assert.equal(total(afterwards, 'dapr_http_server_latency_count', saved) - total(before, 'dapr_http_server_latency_count', saved), 5);
    assert.match(afterwards, /dapr_http_server_latency_bucket\{le="1",/, 'daprd\'s millisecond buckets');
    // Six request bodies of over 100 bytes each, and the 400's error body in the responses.
    assert.ok(total(afterwards, 'dapr_http_server_request_bytes_sum') - total(before, 'dapr_http_server_request_bytes_sum') >= 600);
    assert.ok(total(afterwards, 'dapr_http_server_response_bytes_sum') - total(before, 'dapr_http_server_response_bytes_sum') > 0);
    assert.equal(total(afterwards, 'dapr_http_server_response_bytes_count') - total(before, 'dapr_http_server_response_bytes_count'), 6);
  });

  it('counts state operations per component, operation and outcome', async () => {
    const before = await scrapeText(metricsPort);
    const labels = (operation: string) => ({ app_id: 'measured', component: 'statestore', namespace: '', operation, success: 'true' });
    await call('POST', `${measured.baseUrl}/v1.0/state/statestore`, [{ key: 'a', value: 1 }, { key: 'b', value: 2 }]);
    assert.equal((await call('GET', `${measured.baseUrl}/v1.0/state/statestore/a`)).status, 200);
    await call('POST', `${measured.baseUrl}/v1.0/state/statestore/bulk`, { keys: ['a', 'b'] });
    await call('DELETE', `${measured.baseUrl}/v1.0/state/statestore/a`);
    const afterwards = await scrapeText(metricsPort);
    const moved = (name: string, operation: string) => total(afterwards, name, labels(operation)) - total(before, name, labels(operation));
    assert.equal(moved('dapr_component_state_count', 'set'), 1, 'one save request is one set, as daprd counts it');
    assert.equal(moved('dapr_component_state_count', 'get'), 1);
    assert.equal(moved('dapr_component_state_count', 'bulk_get'), 1);
    assert.equal(moved('dapr_component_state_count', 'delete'), 1);
    assert.equal(moved('dapr_component_state_latencies_count', 'get'), 1);
  });

  it('counts the HTTP calls of an invocation through two sidecars on both sides, without the app path', async () => {
    const [callerBefore, calleeBefore] = [await scrapeText(metricsPort), await scrapeText(echoMetricsPort)];
    const body = 'y'.repeat(300);
    const answer = await call('POST', `${measured.baseUrl}/v1.0/invoke/echoed/method/orders/42?status=201`, body, { 'content-type': 'text/plain' });
    assert.equal(answer.status, 201);
    const [callerAfter, calleeAfter] = [await scrapeText(metricsPort), await scrapeText(echoMetricsPort)];
    const completed = { method: 'POST', path: '', status: '201' };
    const moved = (afterText: string, beforeText: string, name: string, labels: Record<string, string> = completed) => total(afterText, name, labels) - total(beforeText, name, labels);
    // The caller's sidecar called the callee's sidecar; the callee's sidecar called its app.
    assert.equal(moved(callerAfter, callerBefore, 'dapr_http_client_completed_count', { app_id: 'measured', ...completed }), 1);
    assert.equal(moved(calleeAfter, calleeBefore, 'dapr_http_client_completed_count', { app_id: 'echoed', ...completed }), 1);
    assert.equal(moved(callerAfter, callerBefore, 'dapr_http_client_roundtrip_latency_count'), 1);
    assert.ok(moved(callerAfter, callerBefore, 'dapr_http_client_sent_bytes_sum') >= 300, 'the request body counted as sent');
    assert.ok(moved(calleeAfter, calleeBefore, 'dapr_http_client_received_bytes_sum', {}) > 0, 'the app\'s answer counted as received');
    assert.equal(moved(callerAfter, callerBefore, 'dapr_http_server_request_count'), 1, 'the API call itself');
    for (const text of [callerAfter, calleeAfter]) {
      const values = samples(text).flatMap((sample) => Object.values(sample.labels));
      const leaked = values.filter((value) => /orders|customer-|echoed\//.test(value));
      assert.deepEqual(leaked, [], 'no app path, key or id in any label');
    }
  });

  it('counts published messages and deliveries to the subscriber with their outcome', async () => {
    const before = await scrapeText(metricsPort);
    const labels = { app_id: 'measured', component: 'pubsub', namespace: '', topic: 'shipments' };
    for (let index = 0; index < 3; index++) assert.equal((await call('POST', `${measured.baseUrl}/v1.0/publish/pubsub/shipments`, { id: `o${index}` })).status, 204);
    const delivered = await waitFor('three deliveries counted', async () => {
      const text = await scrapeText(metricsPort);
      const moved = total(text, 'dapr_component_pubsub_ingress_count', { ...labels, process_status: 'success' }) - total(before, 'dapr_component_pubsub_ingress_count', { ...labels, process_status: 'success' });
      return moved >= 3 && text;
    }, 20_000);
    assert.equal(total(delivered, 'dapr_component_pubsub_ingress_count', { ...labels, process_status: 'success' }) - total(before, 'dapr_component_pubsub_ingress_count', { ...labels, process_status: 'success' }), 3);
    assert.equal(total(delivered, 'dapr_component_pubsub_egress_count', { ...labels, success: 'true' }) - total(before, 'dapr_component_pubsub_egress_count', { ...labels, success: 'true' }), 3);
    assert.equal(total(delivered, 'dapr_component_pubsub_ingress_latencies_count', labels) - total(before, 'dapr_component_pubsub_ingress_latencies_count', labels), 3);
  });

  it('counts secret reads and output binding calls per component, operation and outcome', async () => {
    const before = await scrapeText(metricsPort);
    assert.equal((await call('GET', `${measured.baseUrl}/v1.0/secrets/localsecrets/dbpass`)).status, 200);
    assert.equal((await call('GET', `${measured.baseUrl}/v1.0/secrets/localsecrets/bulk`)).status, 200);
    assert.equal((await call('POST', `${measured.baseUrl}/v1.0/bindings/files`, { operation: 'create', data: 'hello', metadata: { fileName: 'a.txt' } })).status, 200);
    assert.equal((await call('POST', `${measured.baseUrl}/v1.0/bindings/files`, { operation: 'get', metadata: { fileName: 'missing.txt' } })).status, 500);
    const afterwards = await scrapeText(metricsPort);
    const moved = (name: string, labels: Record<string, string>) => total(afterwards, name, labels) - total(before, name, labels);
    const base = { app_id: 'measured', namespace: '' };
    assert.equal(moved('dapr_component_secret_count', { ...base, component: 'localsecrets', operation: 'get', success: 'true' }), 1);
    assert.equal(moved('dapr_component_secret_count', { ...base, component: 'localsecrets', operation: 'bulk_get', success: 'true' }), 1);
    assert.equal(moved('dapr_component_output_binding_count', { ...base, component: 'files', operation: 'create', success: 'true' }), 1);
    assert.equal(moved('dapr_component_output_binding_count', { ...base, component: 'files', operation: 'get', success: 'false' }), 1);
    assert.equal(moved('dapr_component_output_binding_latencies_count', { component: 'files' }), 2);
  });

  it('counts input binding events delivered to the app', async () => {
    // The echo app answers the binding's OPTIONS probe and every event with 200.
    const labels = { app_id: 'echoed', component: 'tick', namespace: '', success: 'true' };
    const text = await waitFor('two cron events counted', async () => {
      const current = await scrapeText(echoMetricsPort);
      return total(current, 'dapr_component_input_binding_count', labels) >= 2 && current;
    }, 20_000);
    assert.ok(total(text, 'dapr_component_input_binding_latencies_count', labels) >= 2);
    assert.ok(total(text, 'dapr_http_client_completed_count', { app_id: 'echoed', method: 'POST', path: '', status: '200' }) >= 2, 'each event is a call into the app');
  });

  it('counts gRPC API calls by method and status', async () => {
    await waitForGrpcApi(measured);
    const client = daprGrpcClient(measured.grpcPort);
    const before = await scrapeText(metricsPort);
    await client.saveState({ storeName: 'statestore', states: [{ key: 'g', value: new TextEncoder().encode('1') }] });
    await client.getState({ storeName: 'statestore', key: 'g' });
    await assert.rejects(client.getState({ storeName: 'nope', key: 'g' }));
    const afterwards = await scrapeText(metricsPort);
    const moved = (method: string, status: string) => {
      const labels = { app_id: 'measured', grpc_server_method: `/dapr.proto.runtime.v1.Dapr/${method}`, grpc_server_status: status };
      return total(afterwards, 'dapr_grpc_io_server_completed_rpcs', labels) - total(before, 'dapr_grpc_io_server_completed_rpcs', labels);
    };
    assert.equal(moved('SaveState', 'OK'), 1);
    assert.equal(moved('GetState', 'OK'), 1);
    assert.equal(moved('GetState', 'InvalidArgument'), 1, 'the status as Go names it');
    assert.equal(total(afterwards, 'dapr_grpc_io_server_server_latency_count', { grpc_server_method: '/dapr.proto.runtime.v1.Dapr/SaveState' })
      - total(before, 'dapr_grpc_io_server_server_latency_count', { grpc_server_method: '/dapr.proto.runtime.v1.Dapr/SaveState' }), 1);
    const state = { app_id: 'measured', component: 'statestore', namespace: '', operation: 'get', success: 'true' };
    assert.equal(total(afterwards, 'dapr_component_state_count', state) - total(before, 'dapr_component_state_count', state), 1, 'gRPC calls count on the component too');
  });

  it('reports components loaded and the lifecycle phase', async () => {
    const text = await scrapeText(metricsPort);
    const loaded = samples(text).filter((sample) => sample.name === 'dapr_runtime_component_loaded').map((sample) => sample.labels.component).sort();
    assert.deepEqual(loaded, ['files', 'localsecrets', 'memstore', 'pubsub', 'statestore']);
    const phases = samples(text).filter((sample) => sample.name === 'outrigger_lifecycle_phase' && sample.value === 1).map((sample) => sample.labels.phase);
    assert.deepEqual(phases, ['ready']);
    assert.equal(total(text, 'outrigger_app_inflight_requests'), 0);
  });
});
