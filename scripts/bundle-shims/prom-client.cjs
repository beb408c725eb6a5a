'use strict';
/* global require, exports */
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: esbuild runs a required module's body only when it is first required. */
// prom-client's index.js for the CLI bundle (scripts/bundle-cli.mjs): the same exports, each module
// required when it is first read. The package's own index requires them all at once, among them
// Pushgateway (node's http, https, zlib) and AggregatorRegistry (cluster, hence child_process, dgram
// and dns), which a sidecar never uses; esbuild keeps each CommonJS module's body in a function run on
// its first require, so these are then neither evaluated nor their built-ins loaded.
function lazy(name, load) {
  Object.defineProperty(exports, name, { enumerable: true, configurable: false, get: load });
}

lazy('register', () => require('prom-client/lib/registry').globalRegistry);
lazy('Registry', () => require('prom-client/lib/registry'));
Object.defineProperty(exports, 'contentType', {
  configurable: false,
  enumerable: true,
  get() { return exports.register.contentType; },
  set(value) { exports.register.setContentType(value); },
});
lazy('prometheusContentType', () => exports.Registry.PROMETHEUS_CONTENT_TYPE);
lazy('openMetricsContentType', () => exports.Registry.OPENMETRICS_CONTENT_TYPE);
lazy('validateMetricName', () => require('prom-client/lib/validation').validateMetricName);
lazy('Counter', () => require('prom-client/lib/counter'));
lazy('Gauge', () => require('prom-client/lib/gauge'));
lazy('Histogram', () => require('prom-client/lib/histogram'));
lazy('Summary', () => require('prom-client/lib/summary'));
lazy('Pushgateway', () => require('prom-client/lib/pushgateway'));
lazy('linearBuckets', () => require('prom-client/lib/bucketGenerators').linearBuckets);
lazy('exponentialBuckets', () => require('prom-client/lib/bucketGenerators').exponentialBuckets);
lazy('collectDefaultMetrics', () => require('prom-client/lib/defaultMetrics'));
lazy('aggregators', () => require('prom-client/lib/metricAggregators').aggregators);
lazy('AggregatorRegistry', () => require('prom-client/lib/cluster'));
