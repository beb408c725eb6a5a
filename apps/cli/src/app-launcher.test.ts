import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { appEnv, exitCodeOf, resolvePorts, sidecarArgs, type PairSettings, type PairSpec } from './commands/app-launcher.js';
import { SIDECAR_NODE_FLAGS } from './commands/sidecar-node-flags.js';

const settings: PairSettings = {
  appId: 'orders', command: ['node', 'app.js'], cwd: '/tmp', env: { EXTRA: 'yes', APP_PROTOCOL: 'overridden' },
  appPort: 3000, appProtocol: 'HTTP', appChannelAddress: '127.0.0.1', ports: { httpPort: 3500 },
  resourcesPaths: ['/r1', '/r2'], configPath: '/c.yaml', logLevel: 'debug', logAsJson: true, enableApiLogging: false,
  appMaxConcurrency: -1, maxBodySize: '8Mi', httpMaxRequestSize: undefined, listenAddresses: undefined,
  metadata: {}, appPrefix: '', sidecarPrefix: '',
};

describe('app launcher', () => {
  it('picks distinct free ports only where none was given', async () => {
    const [spec] = await resolvePorts([settings, { ...settings, ports: { grpcPort: -1 } }]);
    assert.equal(spec?.ports.httpPort, 3500);
    const all = (await resolvePorts([settings, settings])).flatMap((item) => [item.ports.grpcPort, item.ports.internalGrpcPort, item.ports.metricsPort]);
    assert.equal(new Set(all).size, all.length);
    assert.ok(all.every((port) => port > 0));
  });

  it('the bin\'s shebang gives `outrigger sidecar` started directly the node flags `run` starts it with', () => {
    const shebang = readFileSync(fileURLToPath(new URL('../bin/outrigger.js', import.meta.url)), 'utf8').split('\n')[0];
    assert.equal(shebang, `#!/usr/bin/env -S node ${SIDECAR_NODE_FLAGS.join(' ')}`);
  });

  it('passes daprd flag names to the sidecar, leaving out defaults dapr run leaves out', () => {
    const spec: PairSpec = { ...settings, ports: { httpPort: 3500, grpcPort: 50001, internalGrpcPort: 50002, metricsPort: 9091 } };
    assert.deepEqual(sidecarArgs(spec), [
      '--app-id', 'orders', '--app-port', '3000', '--app-protocol', 'HTTP',
      '--dapr-http-port', '3500', '--dapr-grpc-port', '50001', '--dapr-internal-grpc-port', '50002', '--metrics-port', '9091',
      '--resources-path', '/r1', '--resources-path', '/r2', '--config', '/c.yaml', '--log-level', 'debug', '--log-as-json',
      '--max-body-size', '8Mi',
    ]);
  });

  it('gives the app dapr run\'s variables, the run file env winning', () => {
    const spec: PairSpec = { ...settings, ports: { httpPort: 3500, grpcPort: 50001, internalGrpcPort: 50002, metricsPort: 9091 } };
    const env = appEnv(spec, { PATH: '/bin' });
    assert.equal(env.PATH, '/bin');
    assert.equal(env.APP_ID, 'orders');
    assert.equal(env.APP_PORT, '3000');
    assert.equal(env.DAPR_HTTP_PORT, '3500');
    assert.equal(env.DAPR_GRPC_PORT, '50001');
    assert.equal(env.DAPR_METRICS_PORT, '9091');
    assert.equal(env.APP_CHANNEL_ADDRESS, '127.0.0.1');
    assert.equal(env.APP_PROTOCOL, 'overridden');
    assert.equal(env.EXTRA, 'yes');
    assert.equal(appEnv({ ...spec, env: {}, appPort: undefined }, {}).APP_PORT, undefined);
    assert.equal(appEnv({ ...spec, env: {} }, {}).APP_PROTOCOL, 'http');
  });

  it('exits with the app\'s code, 1 for a signal, 0 after a stop', () => {
    assert.equal(exitCodeOf({ kind: 'app-exited', exit: { code: 3, signal: null } }), 3);
    assert.equal(exitCodeOf({ kind: 'app-exited', exit: { code: null, signal: 'SIGKILL' } }), 1);
    assert.equal(exitCodeOf({ kind: 'sidecar-exited', exit: { code: 0, signal: null } }), 0);
    assert.equal(exitCodeOf({ kind: 'sidecar-exited', exit: { code: 2, signal: null } }), 2);
    assert.equal(exitCodeOf({ kind: 'stopped' }), 0);
  });
});
