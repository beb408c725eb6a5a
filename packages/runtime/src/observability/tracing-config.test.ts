import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigurationFile } from '../resources/load-resources.js';
import { configurationSchema } from '../resources/resource-schemas.js';
import { defaultSamplingRate, otelUrl, tracingSettings, type TracingSpec } from './tracing-config.js';

function configuration(tracing: unknown): unknown {
  return { apiVersion: 'dapr.io/v1alpha1', kind: 'Configuration', metadata: { name: 'tracing' }, spec: { tracing } };
}

/** The path and message of the first problem the schema finds in a tracing section. */
function problem(tracing: unknown): { field: string; message: string } | undefined {
  const result = configurationSchema.safeParse(configuration(tracing));
  if (result.success) return undefined;
  const issue = result.error.issues[0];
  return { field: issue?.path.map(String).join('.') ?? '', message: issue?.message ?? '' };
}

function settingsOf(...tracings: (TracingSpec | undefined)[]) {
  return tracingSettings(tracings.map((tracing) => ({ spec: tracing === undefined ? {} : { tracing } })));
}

describe('tracing configuration', () => {
  it('accepts daprd\'s tracing section', () => {
    assert.equal(problem({
      samplingRate: '1', stdout: true, zipkin: { endpointAddress: 'http://localhost:9411/api/v2/spans' },
      otel: { endpointAddress: 'localhost:4317', protocol: 'grpc', isSecure: false, headers: [{ name: 'api-key', value: 'k' }], timeout: '10s' },
    }), undefined);
    assert.equal(problem({ samplingRate: 0.5 }), undefined, 'an unquoted number is read as the rate');
  });

  it('names the field of a bad value', () => {
    assert.deepEqual(problem({ samplingRate: 'all' })?.field, 'spec.tracing.samplingRate');
    assert.match(problem({ samplingRate: '2' })?.message ?? '', /from 0 to 1/);
    assert.equal(problem({ samplingRate: '' })?.field, 'spec.tracing.samplingRate');
    assert.equal(problem({ stdout: 'yes' })?.field, 'spec.tracing.stdout');
    assert.equal(problem({ zipkin: { endpointAddress: 'localhost:9411' } })?.field, 'spec.tracing.zipkin.endpointAddress');
    assert.equal(problem({ otel: { endpointAddress: 'localhost:4318', protocol: 'https' } })?.field, 'spec.tracing.otel.protocol');
    assert.match(problem({ otel: { endpointAddress: 'localhost:4318', protocol: 'https' } })?.message ?? '', /"http" or "grpc"/);
    assert.equal(problem({ otel: { endpointAddress: 'localhost:4318' } })?.field, 'spec.tracing.otel.protocol');
    assert.equal(problem({ otel: { endpointAddress: '', protocol: 'http' } })?.field, 'spec.tracing.otel.endpointAddress');
    assert.equal(problem({ otel: { endpointAddress: 'x:1', protocol: 'http', isSecure: 'no' } })?.field, 'spec.tracing.otel.isSecure');
    assert.equal(problem({ otel: { endpointAddress: 'x:1', protocol: 'http', timeout: 'soon' } })?.field, 'spec.tracing.otel.timeout');
    assert.equal(problem({ otel: { endpointAddress: 'x:1', protocol: 'http', headers: [{ value: 'v' }] } })?.field, 'spec.tracing.otel.headers.0.name');
  });

  it('reports a bad tracing section with the file, the resource and the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outrigger-tracing-'));
    try {
      const file = join(dir, 'config.yaml');
      writeFileSync(file, 'apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata: { name: traced }\nspec:\n  tracing:\n    samplingRate: "often"\n');
      await assert.rejects(() => loadConfigurationFile(file), (error: Error) => {
        assert.match(error.message, /config\.yaml/);
        assert.match(error.message, /traced/);
        assert.match(error.message, /spec\.tracing\.samplingRate/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is off without a tracing section, at rate 0, or with nothing to export to', () => {
    assert.equal(settingsOf(undefined), undefined);
    assert.equal(settingsOf({ samplingRate: '0', zipkin: { endpointAddress: 'http://z/api/v2/spans' } }), undefined);
    assert.equal(settingsOf({ samplingRate: ' 0.0 ', stdout: true }), undefined);
    assert.equal(settingsOf({ samplingRate: '1' }), undefined);
  });

  it('reads the rate, daprd\'s default when left out, and the exporters', () => {
    assert.equal(settingsOf({ stdout: true })?.samplingRate, defaultSamplingRate);
    const settings = settingsOf({
      samplingRate: '0.25', zipkin: { endpointAddress: 'http://127.0.0.1:9411/api/v2/spans' },
      otel: { endpointAddress: 'collector:4318', protocol: 'http', isSecure: false, headers: [{ name: 'api-key', value: 'k' }], timeout: '1.5s' },
    });
    assert.deepEqual(settings, {
      samplingRate: 0.25, stdout: false, zipkinUrl: 'http://127.0.0.1:9411/api/v2/spans',
      otel: { url: 'http://collector:4318/v1/traces', protocol: 'http', headers: { 'api-key': 'k' }, timeoutMs: 1500 },
    });
  });

  it('takes the last Configuration with a tracing section (--config is loaded last)', () => {
    const settings = settingsOf({ samplingRate: '1', stdout: true }, undefined, { samplingRate: '0.5', zipkin: { endpointAddress: 'http://z:9411/api/v2/spans' } }, undefined);
    assert.equal(settings?.samplingRate, 0.5);
    assert.equal(settings?.stdout, false);
  });

  it('builds the OTLP URL from daprd\'s host:port address', () => {
    assert.equal(otelUrl('localhost:4318', 'http', true), 'https://localhost:4318/v1/traces');
    assert.equal(otelUrl('localhost:4318', 'http', false), 'http://localhost:4318/v1/traces');
    assert.equal(otelUrl('http://localhost:4318/custom/traces', 'http', true), 'http://localhost:4318/custom/traces');
    assert.equal(otelUrl('localhost:4317', 'grpc', false), 'http://localhost:4317');
    assert.equal(otelUrl('localhost:4317', 'grpc', true), 'https://localhost:4317');
  });
});
