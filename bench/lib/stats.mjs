// Latency statistics and the in-process load loops used where no standard tool fits (gRPC, client
// libraries, pub/sub). The constant-rate loop is open-loop: each operation has a scheduled start and its
// latency counts from that schedule, so a stall delays the operations behind it and shows in the
// percentiles (no coordinated omission), as wrk2 does.
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';

/** The value at quantile `q` (0..1) of an ascending array, nearest-rank. */
export function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** p50/p90/p99/max/mean of latencies in milliseconds. */
export function summarize(latenciesMs) {
  const sorted = Float64Array.from(latenciesMs).sort();
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    count: sorted.length,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
    mean: sorted.length ? total / sorted.length : NaN,
  };
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return percentile(sorted, 0.5);
}

/**
 * Runs `operation` at `rate` per second for `seconds` (after `warmupSeconds`), at most `maxInFlight` at
 * once. Latency counts from each operation's scheduled start. Returns the summary, the achieved rate
 * and the error count.
 */
export async function constantRate(operation, { rate, seconds, warmupSeconds = 1, maxInFlight = 256 }) {
  const intervalMs = 1_000 / rate;
  const latencies = [];
  let errors = 0;
  let firstError;
  let inFlight = 0;
  const pending = new Set();
  const begin = performance.now();
  const measureFrom = begin + warmupSeconds * 1_000;
  const end = measureFrom + seconds * 1_000;
  let dropped = 0;
  for (let index = 0; ; index++) {
    const scheduled = begin + index * intervalMs;
    if (scheduled >= end) break;
    // Never start before the schedule (a latency must not come out below the real one); a late start
    // counts in the latency.
    const wait = scheduled - performance.now();
    if (wait > 0) await new Promise((resolveWait) => setTimeout(resolveWait, Math.ceil(wait)));
    else if (index % 32 === 0) await nextTurn();
    if (inFlight >= maxInFlight) { dropped++; continue; }
    inFlight++;
    const task = Promise.resolve().then(operation).then(
      () => { if (scheduled >= measureFrom) latencies.push(performance.now() - scheduled); },
      (error) => { errors++; firstError ??= error; },
    ).finally(() => { inFlight--; pending.delete(task); });
    pending.add(task);
  }
  await Promise.all(pending);
  return { ...summarize(latencies), rate: latencies.length / seconds, errors, dropped, firstError: firstError?.message };
}

/** Closed loop: `concurrency` callers each start the next operation when the last ended. Max throughput. */
export async function closedLoop(operation, { concurrency, seconds, warmupSeconds = 1 }) {
  const latencies = [];
  let errors = 0;
  let firstError;
  const warmUntil = performance.now() + warmupSeconds * 1_000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < warmUntil) await operation().catch(() => undefined);
  }));
  const started = performance.now();
  const until = started + seconds * 1_000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < until) {
      const begun = performance.now();
      try {
        await operation();
        latencies.push(performance.now() - begun);
      } catch (error) {
        errors++;
        firstError ??= error;
      }
    }
  }));
  const elapsed = (performance.now() - started) / 1_000;
  return { ...summarize(latencies), rate: latencies.length / elapsed, errors, firstError: firstError?.message };
}

/**
 * Closed loop over a fixed number of operations: `concurrency` callers share `count` operations, each
 * starting the next when its last ended. For work measured by count rather than by time (callgrind).
 * @throws the first operation's error (the loop stops handing out operations)
 */
export async function countedLoop(operation, { concurrency, count }) {
  let started = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (started < count) {
      started++;
      try {
        await operation();
      } catch (error) {
        started = count;
        throw error;
      }
    }
  }));
}

/** a / b, or NaN when either is missing. */
export function ratio(a, b) {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : NaN;
}

/**
 * The figures of several rounds of one measure: their median (the mean of the middle two for an even
 * count), min and max, and the figures in round order. A round without the figure (NaN, undefined)
 * makes every statistic NaN rather than a median of the rounds that happen to have it.
 */
export function spread(values) {
  if (values.length === 0 || values.some((value) => typeof value !== 'number' || Number.isNaN(value))) return { median: NaN, min: NaN, max: NaN, values };
  const sorted = [...values].sort((a, b) => (a === b ? 0 : a - b));
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], values };
}

/** Each round's ours / theirs, rounds paired by index (both figures of a ratio come from the same round). */
export function perRoundRatios(ours, theirs) {
  if (ours.length !== theirs.length) throw new Error(`${ours.length} rounds against ${theirs.length}`);
  return ours.map((value, index) => ratio(value, theirs[index]));
}

/**
 * One round's overhead against a reference path's overhead (both over direct, same round). A reference
 * overhead at or below zero (within the noise of direct) gives +Infinity: a bar set relative to no
 * overhead cannot be met, and a negative ratio must not read as a pass. NaN when either is missing.
 */
export function overheadRatio(ours, theirs) {
  if (!Number.isFinite(ours) || !Number.isFinite(theirs)) return NaN;
  return theirs > 0 ? ours / theirs : Infinity;
}
