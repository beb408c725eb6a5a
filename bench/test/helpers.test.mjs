// Unit tests of the benchmark's own helpers (statistics, tool output parsing, the rate generator, the
// report), so a wrong percentile or a misread wrk line cannot slip into recorded results.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closedLoop, constantRate, countedLoop, overheadRatio, percentile, perRoundRatios, ratio, spread, summarize } from '../lib/stats.mjs';
import { parseHeyCsv, parseWrk } from '../lib/tools.mjs';
import { partInstructions } from '../lib/callgrind.mjs';
import { nameAt, parsePerfMap, selfCostByFunction } from '../lib/callgrind-profile.mjs';
import { spawn } from 'node:child_process';
import { childPids, machineCpu } from '../lib/processes.mjs';
import { rangeText, renderMarkdown, times } from '../lib/report.mjs';
import { httpInvocationReport, httpRoundPlan } from '../scenarios/invoke-report.mjs';

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

describe('bench rounds', () => {
  it('gives the median, min and max of per-round figures, the middle two averaged for an even count', () => {
    assert.deepEqual(spread([3, 1, 2]), { median: 2, min: 1, max: 3, values: [3, 1, 2] });
    assert.equal(spread([4, 1, 3, 2]).median, 2.5);
    assert.equal(spread([1, Infinity, Infinity]).median, Infinity);
    assert.equal(spread([2, Infinity]).median, Infinity);
  });

  it('gives no spread when a round lacks the figure', () => {
    assert.ok(Number.isNaN(spread([1, NaN, 3]).median));
    assert.ok(Number.isNaN(spread([1, undefined]).max));
    assert.ok(Number.isNaN(spread([]).median));
  });

  it('pairs ratios by round and refuses rounds that do not pair', () => {
    assert.deepEqual(perRoundRatios([10, 30], [20, 30]), [0.5, 1]);
    assert.throws(() => perRoundRatios([1, 2], [1]));
  });

  it('makes an overhead ratio against a reference at or below zero unbounded, not negative', () => {
    assert.equal(overheadRatio(3, 2), 1.5);
    assert.equal(overheadRatio(3, 0), Infinity);
    assert.equal(overheadRatio(3, -1.2), Infinity);
    assert.ok(Number.isNaN(overheadRatio(NaN, 1)));
  });

  it('writes a range, one value when the rounds agree and ∞ for an unbounded end', () => {
    assert.equal(rangeText(spread([1.5, 2.25]), times), '1.50×–2.25×');
    assert.equal(rangeText(spread([2, Infinity]), times), '2.00×–∞');
    assert.equal(rangeText(spread([0.4, 0.4]), times), '0.40×');
    assert.equal(rangeText(spread([0.299, 0.301]), times), '0.30×');
  });

  it('plans rounds of whole seconds, 1.5× a measurement per path in a full run', () => {
    assert.deepEqual(httpRoundPlan({ quick: false, seconds: 10 }), { rounds: 3, seconds: 5 });
    assert.deepEqual(httpRoundPlan({ quick: true, seconds: 2 }), { rounds: 2, seconds: 1 });
    assert.deepEqual(httpRoundPlan({ quick: true, seconds: 1 }), { rounds: 2, seconds: 1 });
  });

  it('reports the HTTP targets as medians of per-round comparisons, not comparisons of medians', () => {
    const latency = (p50, p99) => ({ p50, p90: p50, p99, rate: 1_000, errors: 0 });
    const wrkRound = (rate) => ({ rate, p50: 1, p99: 2, errors: 0 });
    // nginx drifts from 10,000 to 20,000 req/s; outrigger's shares per round are 50%, 25%, 50% (median
    // 50%), while its median rate over nginx's would be 5,000 / 16,000 (31%).
    const rates = { direct: [30_000, 30_000, 30_000], nginx: [10_000, 16_000, 20_000], 'node proxies': [4_000, 8_000, 8_000], outrigger: [5_000, 4_000, 10_000] };
    const hey = { direct: [latency(1, 2), latency(1, 2), latency(3, 4)], nginx: [latency(2, 3), latency(1, 2), latency(4, 6)], 'node proxies': [latency(3, 4), latency(2, 3), latency(5, 7)], outrigger: [latency(4, 6), latency(2, 3), latency(6, 8)] };
    const variants = Object.keys(rates);
    const figures = {
      plan: { rounds: 3, seconds: 1 },
      hey,
      heyLatencies: Object.fromEntries(variants.map((name) => [name, [1, 2, 3]])),
      openLoop: hey,
      max: Object.fromEntries([16, 64].map((connections) => [connections, Object.fromEntries(variants.map((name) => [name, rates[name].map(wrkRound)]))])),
    };
    const { targets, raw, sections } = httpInvocationReport(figures, variants);
    const target = (name) => targets.find((t) => t.name.startsWith(name));
    const share = target('max invocation throughput vs nginx two hops, 16');
    assert.equal(share.measured, '50% (rounds 25%–50%)');
    assert.equal(share.pass, true);
    assert.equal(share.floor, 'node proxies 40% (rounds 40%–50%)');
    // Outrigger +p50 per round: 3, 1, 3 → median 3; nginx's: 1, 0, 1, so round 2's ratio is unbounded.
    const overP50 = target('invocation +p50 over direct');
    assert.equal(overP50.measured, '3.00 ms (rounds 1.00–3.00)');
    assert.equal(overP50.pass, false);
    const vsNginx = target('invocation overhead / nginx two-hop overhead, p50');
    assert.equal(vsNginx.measured, '3.00× (rounds 3.00×–∞): +3.00 vs +1.00 ms');
    assert.equal(vsNginx.floor, 'node proxies 2.00× (rounds 2.00×–∞)');
    assert.deepEqual(raw.comparisons['outrigger overhead / nginx overhead, p50 (hey)'].values, [3, Infinity, 3]);
    assert.equal(raw.hey.outrigger.rounds.length, 3);
    assert.match(sections[2].rows.find((row) => row[0] === 'outrigger' && row[1] === 16)[3], /^5,000 \/ 4,000 \/ 10,000$/);
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
  it('reads the instructions of a callgrind dump from its summary line, not the totals of the run', () => {
    const dump = 'version: 1\ncreator: callgrind-3.19.0\npart: 2\nevents: Ir\nsummary: 40101329\n\nfn=(1) main\n0 5\ntotals: 80194677\n';
    assert.equal(partInstructions(dump), 40_101_329);
    assert.throws(() => partInstructions('totals: 5\n'), /summary/);
  });
});

describe('bench instruction profile', () => {
  const map = parsePerfMap('c0bc300 40 JS:*second file:///x.js:2:1\nc0bc240 a0 JS:*first file:///x.js:1:1\n');

  it('names an address from the perf map range holding it, and none outside every range', () => {
    assert.equal(nameAt(map, 0xc0bc240), 'JS:*first file:///x.js:1:1');
    assert.equal(nameAt(map, 0xc0bc2df), 'JS:*first file:///x.js:1:1');
    assert.equal(nameAt(map, 0xc0bc2e0), undefined);
    assert.equal(nameAt(map, 0xc0bc33f), 'JS:*second file:///x.js:2:1');
    assert.equal(nameAt(map, 0xc0bc340), undefined);
    assert.equal(nameAt([], 5), undefined);
  });

  it('sums callgrind_annotate rows by function, naming generated code and trimming files', () => {
    const annotated = [
      '319,201,003 (100.0%)  PROGRAM TOTALS',
      '',
      'Ir                   file:function',
      '20,108,000 ( 6.30%)  ???:0x000000000c0bc240 [???]',
      ' 7,326,000 ( 2.30%)  ???:Builtins_LoadIC [/usr/bin/node]',
      ' 3,000,000 ( 0.94%)  ???:0x000000000c0bc250 [???]',
      ' 2,000,000 ( 0.63%)  ???:0x00000000000000ff [???]',
      ' 1,971,000 ( 0.62%)  ./string/../sysdeps/x86_64/multiarch/memmove-vec-unaligned-erms.S:__memcpy_avx_unaligned_erms [/usr/lib/x86_64-linux-gnu/libc.so.6]',
      ' 1,000,000 ( 0.31%)  ???:v8::internal::Heap::Scavenge() [clone .part.0] [/usr/bin/node]',
    ].join('\n');
    assert.deepEqual(selfCostByFunction(annotated, map), [
      ['JS:*first file:///x.js:1:1', 23_108_000],
      ['Builtins_LoadIC', 7_326_000],
      ['generated code, unnamed', 2_000_000],
      ['__memcpy_avx_unaligned_erms', 1_971_000],
      ['v8::internal::Heap::Scavenge() [clone .part.0]', 1_000_000],
    ]);
  });
});

describe('bench /proc readers', () => {
  it('finds a process\'s children by id', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await new Promise((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject); });
      assert.ok(childPids(process.pid).includes(child.pid), `child ${child.pid} among ${childPids(process.pid)}`);
    } finally {
      child.kill();
    }
  });

  it('reads the machine\'s CPU time with idle as part of the total, both growing', async () => {
    const before = machineCpu();
    const until = Date.now() + 50;
    while (Date.now() < until) { /* spend a few ticks of CPU */ }
    const after = machineCpu();
    assert.ok(before.idle > 0 && before.idle <= before.total);
    assert.ok(after.total > before.total && after.idle >= before.idle);
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

  it('runs a counted loop exactly count times with at most concurrency in flight, and stops on a failure', async () => {
    let calls = 0;
    let inFlight = 0;
    let most = 0;
    await countedLoop(async () => {
      calls++;
      most = Math.max(most, ++inFlight);
      await Promise.resolve();
      inFlight--;
    }, { concurrency: 4, count: 10 });
    assert.deepEqual([calls, most], [10, 4]);
    let tried = 0;
    await assert.rejects(countedLoop(async () => {
      tried++;
      throw new Error('refused');
    }, { concurrency: 2, count: 100 }), /refused/);
    assert.ok(tried <= 2, `${tried} operations after the first failure`);
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
