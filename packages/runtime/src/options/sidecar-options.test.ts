import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OptionsError, resolveSidecarOptions } from './sidecar-options.js';

describe('resolveSidecarOptions', () => {
  it('fills daprd defaults', () => {
    const options = resolveSidecarOptions({}, {});
    assert.equal(options.httpPort, 3500);
    assert.equal(options.grpcPort, 50001);
    assert.equal(options.appPort, undefined);
    assert.equal(options.maxBodyBytes, 4 * 1024 * 1024);
    assert.equal(options.appMaxConcurrency, -1);
    assert.ok(Object.isFrozen(options));
  });

  it('reads flags, aliases and the environment', () => {
    const options = resolveSidecarOptions({ 'app-id': 'a', 'app-port': '3000', 'components-path': ['x', 'y,z'], 'max-body-size': '8Mi', 'dapr-listen-addresses': '[::1],127.0.0.1' },
      { DAPR_API_TOKEN: 't', APP_API_TOKEN: 'u', NAMESPACE: 'prod', OUTRIGGER_HOME: '/h' });
    assert.equal(options.appId, 'a');
    assert.equal(options.appPort, 3000);
    assert.deepEqual(options.resourcesPaths, ['x', 'y', 'z']);
    assert.equal(options.maxBodyBytes, 8 * 1024 * 1024);
    assert.deepEqual(options.listenAddresses, ['::1', '127.0.0.1']);
    assert.deepEqual([options.apiToken, options.appApiToken, options.namespace, options.homeDir], ['t', 'u', 'prod', '/h']);
  });

  it('treats --app-port 0 or -1 as no app, as dapr run passes them', () => {
    assert.equal(resolveSidecarOptions({ 'app-port': '-1' }, {}).appPort, undefined);
    assert.equal(resolveSidecarOptions({ 'app-port': '0' }, {}).appPort, undefined);
  });

  it('warns about ignored flags by name and refuses refused ones', () => {
    const options = resolveSidecarOptions({ 'placement-host-address': 'localhost:50005' }, {});
    assert.match(options.warnings.join('\n'), /--placement-host-address/);
    assert.throws(() => resolveSidecarOptions({ 'dapr-public-port': '3501' }, {}), (error: unknown) => error instanceof OptionsError && error.flag === 'dapr-public-port');
  });

  it('reads the app health, readiness, busy and shutdown-blocking flags', () => {
    assert.equal(resolveSidecarOptions({}, {}).appHealth, undefined);
    const options = resolveSidecarOptions({ 'enable-app-health-check': true, 'app-health-probe-interval': '2', 'app-ready-path': 'ready', 'app-busy-path': '/busy', 'dapr-block-shutdown-duration': '30s' }, {});
    assert.deepEqual(options.appHealth, { path: '/healthz', intervalMs: 2000, timeoutMs: 500, threshold: 3 });
    assert.deepEqual([options.appReadyPath, options.appBusyPath, options.blockShutdownMs], ['/ready', '/busy', 30_000]);
    assert.throws(() => resolveSidecarOptions({ 'enable-app-health-check': true, 'app-health-threshold': '0' }, {}), /--app-health-threshold/);
    assert.throws(() => resolveSidecarOptions({ 'dapr-block-shutdown-duration': 'soon' }, {}), /--dapr-block-shutdown-duration/);
  });

  it('accepts grpc as the app protocol, in any case', () => {
    assert.equal(resolveSidecarOptions({ 'app-protocol': 'GRPC' }, {}).appProtocol, 'grpc');
    assert.equal(resolveSidecarOptions({}, {}).appProtocol, 'http');
  });

  it('refuses bad values naming the flag', () => {
    assert.throws(() => resolveSidecarOptions({ 'dapr-http-port': 'abc' }, {}), /--dapr-http-port/);
    assert.throws(() => resolveSidecarOptions({ 'dapr-http-port': '70000' }, {}), /--dapr-http-port/);
    for (const protocol of ['h2c', 'grpcs', 'https', 'soap']) assert.throws(() => resolveSidecarOptions({ 'app-protocol': protocol }, {}), /--app-protocol/);
    assert.throws(() => resolveSidecarOptions({ 'app-protocol': 'grpc', 'app-ready-path': '/ready' }, {}), /--app-ready-path: needs --app-protocol http/);
    assert.throws(() => resolveSidecarOptions({ 'max-body-size': 'lots' }, {}), /--max-body-size/);
    assert.throws(() => resolveSidecarOptions({ 'log-level': 'loud' }, {}), /--log-level/);
  });
});
