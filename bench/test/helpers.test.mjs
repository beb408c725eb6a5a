// Unit tests of the benchmark's own helpers (statistics, tool output parsing, the rate generator, the
// report), so a wrong percentile or a misread wrk line cannot slip into recorded results.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closedLoop, constantRate, percentile, ratio, summarize } from '../lib/stats.mjs';
import { parseHeyCsv, parseWrk } from '../lib/tools.mjs';
import { renderMarkdown } from '../lib/report.mjs';

describe('bench statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, index) => index + 1);
    assert.equal(percentile(sorted, 0.5), 50);
    assert.equal(percentile(sorted, 0.99), 99);
    assert.equal(percentile(sorted, 1), 100);
    assert.equal(percentile([7], 0.99), 7);
    assert.ok(Number.isNaN(percentile([], 0.5)));
  });

  it('summarizes unsorted latencies', () => {
    const summary = summarize([5, 1, 4, 2, 3]);
    assert.deepEqual([summary.count, summary.p50, summary.max, summary.mean], [5, 3, 5, 3]);
  });

  it('gives NaN ratios for missing or zero baselines', () => {
    assert.equal(ratio(3, 2), 1.5);
    assert.ok(Number.isNaN(ratio(3, 0)));
    assert.ok(Number.isNaN(ratio(undefined, 2)));
  });
});

describe('bench tool parsing', () => {
  it('reads wrk --latency output in any unit', () => {
    const parsed = parseWrk(`Running 2s test @ http://127.0.0.1:1/echo
  Latency Distribution
     50%  612.00us
     75%    1.20ms
     90%    2.50ms
     99%    1.10s
  4521 requests in 2.00s, 5.10MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   2260.40
`);
    assert.deepEqual(parsed, { rate: 2260.4, requests: 4521, errors: 3, p50: 0.612, p75: 1.2, p90: 2.5, p99: 1100 });
  });

  it('reads hey CSV, counting answers other than 200/204 as errors', () => {
    const { latencies, errors } = parseHeyCsv('response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status-code,offset\n0.0012,0,0,0,0,0,200,0.1\n0.0030,0,0,0,0,0,500,0.2\n');
    assert.deepEqual(latencies, [1.2]);
    assert.equal(errors, 1);
  });
});

describe('bench generators', () => {
  it('runs the open loop at the asked rate and never reports a latency below the operation itself', async () => {
    const result = await constantRate(() => new Promise((resolve) => setTimeout(resolve, 2)), { rate: 200, seconds: 0.5, warmupSeconds: 0 });
    assert.ok(result.count >= 90 && result.count <= 101, `count ${result.count}`);
    assert.ok(result.p50 >= 2, `p50 ${result.p50}`);
    assert.equal(result.errors, 0);
  });

  it('counts failures in the closed loop apart from latencies', async () => {
    let calls = 0;
    const result = await closedLoop(async () => { if (++calls % 2 === 0) throw new Error('even'); }, { concurrency: 2, seconds: 0.1, warmupSeconds: 0 });
    assert.ok(result.errors > 0 && result.count > 0);
    assert.equal(result.firstError, 'even');
  });
});

describe('bench report', () => {
  it('renders targets with pass and miss, and tables', () => {
    const text = renderMarkdown({
      meta: { date: '2026-01-01T00:00:00Z', command: 'node bench/run.mjs', durationSeconds: 1, machine: { cores: 2, cpuModel: 'x', memoryGiB: 1, platform: 'linux x64', node: 'v20', loadAverageAtStart: [1, 1, 1] }, loadAverageAtEnd: [1, 1, 1], tools: { wrk: '4' } },
      targets: [{ name: 'a', bar: '< 1', measured: '0.5', pass: true }, { name: 'b', bar: '< 1', measured: '2', pass: false }],
      sections: [{ title: 'S', columns: ['x', 'y'], rows: [['r', 1234.5]] }],
    });
    assert.match(text, /\| a \| < 1 \| 0\.5 \| pass \|/);
    assert.match(text, /\| b \| < 1 \| 2 \| MISS \|/);
    assert.match(text, /\| r \| 1,235 \|/);
    assert.doesNotMatch(text, /plain Node/);
  });

  it('adds the plain-Node column when a target has a floor', () => {
    const text = renderMarkdown({
      meta: { date: '2026-01-01T00:00:00Z', command: 'node bench/run.mjs', durationSeconds: 1, machine: { cores: 2, cpuModel: 'x', memoryGiB: 1, platform: 'linux x64', node: 'v20', loadAverageAtStart: [1, 1, 1] }, loadAverageAtEnd: [1, 1, 1], tools: {} },
      targets: [{ name: 'a', bar: '< 1', measured: '2', pass: false, floor: '+1.5 ms' }, { name: 'b', bar: '< 1', measured: '0.5', pass: true }],
      sections: [],
    });
    assert.match(text, /\| target \| bar \| measured \| result \| plain Node, same run \|/);
    assert.match(text, /\| a \| < 1 \| 2 \| MISS \| \+1\.5 ms \|/);
    assert.match(text, /\| b \| < 1 \| 0\.5 \| pass \| – \|/);
  });
});
