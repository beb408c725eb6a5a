import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { HotCounter, HotHistogram } from './metrics-hot.js';

type Labels = 'app_id' | 'method' | 'status';
const labelNames = ['app_id', 'method', 'status'] as const;
const buckets = [1, 2, 5, 10, 100];

/** The same observations through prom-client's classes and through the hot ones, as scraped text. */
async function bothWays(record: (counter: { inc(labels: Record<Labels, string>, by?: number): void }, histogram: { observe(labels: Record<Labels, string>, value: number): void }) => void): Promise<[string, string]> {
  const reference = new Registry();
  const hot = new Registry();
  record(
    new Counter({ name: 'calls_count', help: 'Calls.', labelNames, registers: [reference] }),
    new Histogram({ name: 'calls_latency', help: 'Latency.', labelNames, buckets, registers: [reference] }),
  );
  record(
    new HotCounter({ name: 'calls_count', help: 'Calls.', labelNames, registers: [hot] }),
    new HotHistogram({ name: 'calls_latency', help: 'Latency.', labelNames, buckets, registers: [hot] }),
  );
  return [await hot.metrics(), await reference.metrics()];
}

describe('hot-path metrics', () => {
  it('scrape exactly as prom-client\'s Counter and Histogram do', async () => {
    const [hot, reference] = await bothWays((counter, histogram) => {
      const values = [0, 0.5, 1, 1.5, 2, 7, 10, 99.9, 100, 250, 3];
      for (const [index, value] of values.entries()) {
        // Label objects in differing key orders land in one series, as with prom-client.
        const labels = index % 2 === 0 ? { app_id: 'a', method: 'GET', status: '200' } : { status: '200', method: 'GET', app_id: 'a' };
        counter.inc(labels);
        histogram.observe(labels, value);
      }
      counter.inc({ app_id: 'a', method: 'POST', status: '500' }, 3);
      histogram.observe({ app_id: 'a', method: 'POST', status: '500' }, 4);
      histogram.observe({ app_id: 'a"quoted\\', method: 'PUT', status: '201' }, 1);
      counter.inc({ app_id: 'a"quoted\\', method: 'PUT', status: '201' });
    });
    assert.equal(hot, reference);
  });

  it('scrape nothing but HELP and TYPE before any observation, and start over after reset', async () => {
    const [hot, reference] = await bothWays(() => undefined);
    assert.equal(hot, reference);
    const registry = new Registry();
    const counter = new HotCounter({ name: 'c', help: 'C.', labelNames: ['k'], registers: [registry] });
    counter.inc({ k: 'v' }, 2);
    registry.resetMetrics();
    counter.inc({ k: 'v' });
    assert.match(await registry.metrics(), /^c\{k="v"\} 1$/m);
  });
});
