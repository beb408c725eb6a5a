import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configurationSchema, type ConfigurationResource } from '../resources/resource-schemas.js';
import { apiLoggingSettings } from './logging-config.js';
import { defaultLatencyBucketsMs, metricsSettings } from './metrics-config.js';
import { HttpPathLabels } from './metrics-http-paths.js';

function configuration(spec: Record<string, unknown>): ConfigurationResource {
  return configurationSchema.parse({ apiVersion: 'dapr.io/v1alpha1', kind: 'Configuration', metadata: { name: 'c' }, spec });
}

function labels(http: { increasedCardinality?: boolean; pathMatching?: string[]; excludeVerbs?: boolean }): HttpPathLabels {
  return new HttpPathLabels(metricsSettings(true, [configuration({ metric: { http } })]).http);
}

describe('metrics configuration', () => {
  it('is on with daprd\'s buckets and low-cardinality paths by default; the flag or enabled: false turns it off', () => {
    const settings = metricsSettings(true, []);
    assert.deepEqual(settings, { enabled: true, latencyBucketsMs: defaultLatencyBucketsMs, http: { increasedCardinality: false, pathMatching: [], excludeVerbs: false } });
    assert.equal(metricsSettings(false, []).enabled, false);
    assert.equal(metricsSettings(true, [configuration({ metric: { enabled: false } })]).enabled, false);
    assert.equal(metricsSettings(false, [configuration({ metric: { enabled: true } })]).enabled, false, 'the flag off wins');
  });

  it('takes spec.metrics fields over spec.metric ones, field by field', () => {
    const settings = metricsSettings(true, [configuration({
      metric: { enabled: true, latencyDistributionBuckets: [50, 10], http: { excludeVerbs: true } },
      metrics: { enabled: false, http: { increasedCardinality: true } },
    })]);
    assert.equal(settings.enabled, false);
    assert.deepEqual(settings.latencyBucketsMs, [10, 50]);
    assert.deepEqual(settings.http, { increasedCardinality: true, pathMatching: [], excludeVerbs: false });
  });

  it('refuses malformed metric and logging sections, naming the field', () => {
    const problem = (spec: Record<string, unknown>) => {
      const result = configurationSchema.safeParse({ apiVersion: 'dapr.io/v1alpha1', kind: 'Configuration', metadata: { name: 'c' }, spec });
      return result.success ? undefined : result.error.issues[0]?.path.join('.');
    };
    assert.equal(problem({ metric: { enabled: 'no' } }), 'spec.metric.enabled');
    assert.equal(problem({ metric: { http: { pathMatching: ['orders/{id}'] } } }), 'spec.metric.http.pathMatching.0');
    assert.equal(problem({ metric: { latencyDistributionBuckets: [0] } }), 'spec.metric.latencyDistributionBuckets.0');
    assert.equal(problem({ logging: { apiLogging: { obfuscateURLs: 'yes' } } }), 'spec.logging.apiLogging.obfuscateURLs');
    assert.equal(problem({ metric: { enabled: true, http: { pathMatching: ['/orders/{id}'] } }, logging: { apiLogging: { enabled: true } } }), undefined);
  });
});

describe('HTTP path labels', () => {
  it('leaves the path empty by default, except health and the app\'s /dapr endpoints', () => {
    const paths = labels({});
    assert.equal(paths.path('/v1.0/state/store/secret-key'), '');
    assert.equal(paths.path('/v1.0/invoke/orders/method/orders/42'), '');
    assert.equal(paths.path('/healthz'), '/healthz');
    assert.equal(paths.path('/dapr/subscribe'), '/dapr/subscribe');
    assert.equal(paths.path('//dapr//subscribe'), '/dapr/subscribe', 'doubled slashes are collapsed first');
    assert.equal(paths.path('healthz'), '/healthz');
    assert.equal(paths.method('GET'), 'GET');
    assert.equal(paths.method('BREW'), 'UNKNOWN');
  });

  it('keeps reduced paths with increasedCardinality: state keys and secret names cut, actor ids replaced', () => {
    const paths = labels({ increasedCardinality: true });
    assert.equal(paths.path('/v1.0/state/store/secret-key'), '/v1.0/state/store');
    assert.equal(paths.path('/v1.0/secrets/vault/db-password'), '/v1.0/secrets/vault');
    assert.equal(paths.path('/v1.0/actors/Cart/c-1/method/add'), '/v1.0/actors/Cart/{id}/method');
    assert.equal(paths.path('//v1.0/invoke/orders/method/orders/42'), '/v1.0/invoke/orders/method/orders/42');
  });

  it('labels paths matching a template with the template, invocations included; others empty unless increasedCardinality', () => {
    const paths = labels({ pathMatching: ['/orders/{id}', '/orders/special', '/files/'] });
    assert.equal(paths.path('/orders/42'), '/orders/{id}');
    assert.equal(paths.path('/orders/special'), '/orders/special', 'the more specific template wins');
    assert.equal(paths.path('/v1.0/invoke/shop/method/orders/42'), '/v1.0/invoke/{app_id}/method/orders/{id}');
    assert.equal(paths.path('/files/a/b/c'), '/files/');
    assert.equal(paths.path('/orders/42/items'), '');
    assert.equal(paths.path('/users/7'), '');
    const legacy = labels({ pathMatching: ['/orders/{id}'], increasedCardinality: true });
    assert.equal(legacy.path('/orders/42'), '/orders/{id}');
    assert.equal(legacy.path('/users/7'), '/users/7');
  });

  it('leaves the method empty with excludeVerbs', () => {
    assert.equal(labels({ excludeVerbs: true }).method('POST'), '');
  });
});

describe('API logging configuration', () => {
  const withLogging = (apiLogging: Record<string, boolean>) => [configuration({ logging: { apiLogging } })];

  it('follows the flag when given, else apiLogging.enabled; obfuscateURLs and omitHealthChecks come from the Configuration', () => {
    assert.deepEqual(apiLoggingSettings(undefined, []), { enabled: false, obfuscateURLs: false, omitHealthChecks: false });
    assert.deepEqual(apiLoggingSettings(undefined, withLogging({ enabled: true, obfuscateURLs: true, omitHealthChecks: true })), { enabled: true, obfuscateURLs: true, omitHealthChecks: true });
    assert.equal(apiLoggingSettings(false, withLogging({ enabled: true })).enabled, false);
    assert.equal(apiLoggingSettings(true, withLogging({ enabled: false })).enabled, true);
  });
});
