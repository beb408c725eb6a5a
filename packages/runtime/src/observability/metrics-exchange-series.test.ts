import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { ExchangeSeries } from './metrics-exchange-series.js';
import { HotCounter, HotHistogram } from './metrics-hot.js';

const labelNames = ['app_id', 'method', 'path', 'status'] as const;
const buckets = [1, 5, 10];

function hotSeries(registry: Registry): ExchangeSeries {
  return new ExchangeSeries('app',
    new HotCounter({ name: 'x_count', help: 'Count.', labelNames, registers: [registry] }),
    new HotHistogram({ name: 'x_latency', help: 'Latency.', labelNames, buckets, registers: [registry] }),
    new HotHistogram({ name: 'x_bytes', help: 'Bytes.', labelNames, buckets, registers: [registry] }));
}

const exchanges: [string, string, number, number, number][] = [
  ['GET', '', 200, 0.5, 3], ['GET', '', 200, 7, 0], ['POST', '/healthz', 200, 2, 11], ['GET', '', 500, 12, 1], ['POST', '', 200, 1, 5],
];

describe('exchange series', () => {
  it('scrapes as prom-client\'s classes labelled with app id, method, path and status', async () => {
    const reference = new Registry();
    const count = new Counter({ name: 'x_count', help: 'Count.', labelNames, registers: [reference] });
    const latency = new Histogram({ name: 'x_latency', help: 'Latency.', labelNames, buckets, registers: [reference] });
    const bytes = new Histogram({ name: 'x_bytes', help: 'Bytes.', labelNames, buckets, registers: [reference] });
    const hot = new Registry();
    const series = hotSeries(hot);
    for (const [method, path, status, elapsed, size] of exchanges) {
      const labels = { app_id: 'app', method, path, status: String(status) };
      count.inc(labels);
      latency.observe(labels, elapsed);
      bytes.observe(labels, size);
      series.record(method, path, status, elapsed, size);
    }
    assert.equal(await hot.metrics(), await reference.metrics());
  });

  it('records again after a registry reset dropped its series', async () => {
    const registry = new Registry();
    const series = hotSeries(registry);
    series.record('GET', '', 200, 1, 1);
    registry.resetMetrics();
    series.record('GET', '', 200, 2, 1);
    assert.match(await registry.metrics(), /^x_count\{app_id="app",method="GET",path="",status="200"\} 1$/m);
    assert.match(await registry.metrics(), /^x_latency_sum\{app_id="app",method="GET",path="",status="200"\} 2$/m);
  });
});
