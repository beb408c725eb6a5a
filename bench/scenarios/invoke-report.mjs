// Scenario 1's HTTP tables and targets, from the rounds measured by invoke.mjs. The machine's speed drifts
// over minutes, so figures of two paths are only compared within a round: each comparison (overhead over
// direct, overhead against nginx's, throughput against nginx's) is computed per round from that round's
// two figures, and the report gives the median of the rounds with their min–max. Absolute figures per
// path are medians over the rounds, except hey's percentiles, which pool every round's latencies.
import { overheadRatio, perRoundRatios, spread, summarize } from '../lib/stats.mjs';
import { rangeText, times } from '../lib/report.mjs';

/**
 * The machine's speed drifts over minutes, so each HTTP measure runs in rounds that take every path in
 * turn for a slice of the time; a comparison between paths is then made within a round and its median
 * taken over the rounds. Full run: 3 rounds of half the per-measurement time (whole seconds, rounded
 * down: wrk takes no fractions), so each path gets 1.5× one measurement's time; quick run: 2 rounds, the
 * time of one measurement.
 */
export function httpRoundPlan(ctx) {
  return { rounds: ctx.quick ? 2 : 3, seconds: Math.max(1, Math.floor(ctx.seconds / 2)) };
}

const COMPARED = ['outrigger', 'node proxies'];
const displayName = { outrigger: 'Outrigger', 'node proxies': 'Bare Node proxies' };

const percent = (value) => `${(value * 100).toFixed(0)}%`;
const signedMs = (value) => `${value >= 0 ? '+' : ''}${value.toFixed(2)}`;
const fixedMs = (value) => value.toFixed(2);
const total = (rounds, key) => rounds.reduce((sum, round) => sum + (round[key] ?? 0), 0);

/** Each round's overhead of `name` over direct on `key` (p50, p99); `table` maps a path to its rounds. */
function overheads(table, name, key) {
  return table[name].map((round, index) => round[key] - table.direct[index][key]);
}

/** Each round's overhead of `name` over direct divided by nginx's overhead in the same round. */
function overheadRatios(table, name, key) {
  const theirs = overheads(table, 'nginx', key);
  return overheads(table, name, key).map((ours, index) => overheadRatio(ours, theirs[index]));
}

/** A ratio's median with its per-round range; a median of ∞ means nginx added nothing in most rounds. */
function ratioText(stats) {
  const unbounded = stats.values.filter((value) => value === Infinity).length;
  const head = stats.median === Infinity ? `n/a: nginx overhead ≤ 0 in ${unbounded} of ${stats.values.length} rounds` : times(stats.median);
  return `${head} (rounds ${rangeText(stats, times)})`;
}

/** A median with its per-round range in brackets, the range left out where it is the median itself. */
function withRange(stats, format) {
  const range = rangeText(stats, format);
  return range === format(stats.median) ? range : `${format(stats.median)} (${range})`;
}

function medianOfRounds(rounds) {
  const of = (key) => spread(rounds.map((round) => round[key])).median;
  return { rate: of('rate'), p50: of('p50'), p90: of('p90'), p99: of('p99'), errors: total(rounds, 'errors') };
}

function latencySection({ title, intro, table, summaries, variants }) {
  const rows = variants.map((name) => {
    const s = summaries[name];
    if (name === 'direct') return [name, s.rate, s.p50, s.p90, s.p99, 0, 0, '–', s.errors];
    const p50 = spread(overheads(table, name, 'p50'));
    return [name, s.rate, s.p50, s.p90, s.p99, p50.median, spread(overheads(table, name, 'p99')).median, p50.values.map((value) => value.toFixed(2)).join(' / '), s.errors];
  });
  const notes = table.nginx ? COMPARED.filter((name) => table[name]).map((name) => `${displayName[name]} overhead / nginx two-hop overhead (median of the rounds' ratios): p50 ${ratioText(spread(overheadRatios(table, name, 'p50')))}, p99 ${ratioText(spread(overheadRatios(table, name, 'p99')))}.`) : [];
  return {
    title,
    intro,
    columns: ['path', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', '+p50 ms over direct', '+p99 ms over direct', '+p50 ms each round', 'errors'],
    rows,
    notes,
  };
}

function maxSection(figures, variants, plan) {
  const rates = (connections, name) => figures.max[connections][name]?.map((round) => round.rate);
  const rows = [];
  for (const connections of [16, 64]) {
    for (const name of variants) {
      const rounds = figures.max[connections][name];
      const of = (key) => spread(rounds.map((round) => round[key])).median;
      const vsNginx = figures.max[connections].nginx ? spread(perRoundRatios(rates(connections, name), rates(connections, 'nginx'))) : undefined;
      rows.push([name, connections, of('rate'), rounds.map((round) => Math.round(round.rate).toLocaleString('en-US')).join(' / '), of('p50'), of('p99'),
        times(spread(perRoundRatios(rates(connections, name), rates(connections, 'direct'))).median),
        vsNginx ? withRange(vsNginx, times) : '–', total(rounds, 'errors')]);
    }
  }
  return {
    title: '1b. HTTP invocation max throughput (wrk, closed loop)',
    intro: `wrk -t1, 1 KB POST, each connection sends its next request when the last answered; ${plan.rounds} rounds of ${plan.seconds} s alternating the paths. req/s, p50 and p99: medians over the rounds. `
      + 'vs direct, vs nginx: the median of the per-round ratios (min–max in brackets). `node proxies`: two bare Node forwarding proxies (bench/apps/bare-proxy.mjs), one process per hop as with sidecars.',
    columns: ['path', 'connections', 'req/s', 'req/s each round', 'p50 ms', 'p99 ms', 'vs direct', 'vs nginx', 'errors'],
    rows,
  };
}

function targetList(figures) {
  const hey = figures.hey;
  const targets = [];
  const comparisons = {};
  const record = (name, stats) => { comparisons[name] = stats; return stats; };
  const withNode = Boolean(hey['node proxies']);
  for (const [key, bar] of [['p50', 1.06], ['p99', 2.90]]) {
    const ours = record(`outrigger +${key} over direct (hey)`, spread(overheads(hey, 'outrigger', key)));
    const node = withNode ? record(`node proxies +${key} over direct (hey)`, spread(overheads(hey, 'node proxies', key))) : undefined;
    targets.push({ name: `invocation +${key} over direct at 1,000 rps (hey)`, bar: `< ${bar.toFixed(2)} ms`, measured: `${fixedMs(ours.median)} ms (rounds ${rangeText(ours, fixedMs)})`, pass: ours.median < bar,
      floor: node ? `node proxies ${signedMs(node.median)} ms (rounds ${rangeText(node, fixedMs)})` : undefined });
  }
  if (!hey.nginx) return { targets, comparisons };
  for (const key of ['p50', 'p99']) {
    const ours = record(`outrigger overhead / nginx overhead, ${key} (hey)`, spread(overheadRatios(hey, 'outrigger', key)));
    const node = withNode ? record(`node proxies overhead / nginx overhead, ${key} (hey)`, spread(overheadRatios(hey, 'node proxies', key))) : undefined;
    const medianOverhead = (name) => signedMs(spread(overheads(hey, name, key)).median);
    targets.push({ name: `invocation overhead / nginx two-hop overhead, ${key} (hey)`, bar: '≤ 1.5×', measured: `${ratioText(ours)}: ${medianOverhead('outrigger')} vs ${medianOverhead('nginx')} ms`, pass: ours.median <= 1.5,
      floor: node ? `node proxies ${ratioText(node)}` : undefined });
  }
  for (const connections of [16, 64]) {
    const rates = (name) => figures.max[connections][name]?.map((round) => round.rate);
    const share = record(`outrigger / nginx max req/s, ${connections} connections (wrk)`, spread(perRoundRatios(rates('outrigger'), rates('nginx'))));
    const node = withNode ? record(`node proxies / nginx max req/s, ${connections} connections (wrk)`, spread(perRoundRatios(rates('node proxies'), rates('nginx')))) : undefined;
    targets.push({ name: `max invocation throughput vs nginx two hops, ${connections} connections (wrk)`, bar: '≥ 50%', measured: `${percent(share.median)} (rounds ${rangeText(share, percent)})`, pass: share.median >= 0.5,
      floor: node ? `node proxies ${percent(node.median)} (rounds ${rangeText(node, percent)})` : undefined });
  }
  return { targets, comparisons };
}

/** The HTTP sections, targets and raw figures (every round's) from httpRounds' figures. */
export function httpInvocationReport(figures, variants) {
  const { plan } = figures;
  const heySummaries = Object.fromEntries(variants.map((name) => [name, { ...summarize(figures.heyLatencies[name]), rate: figures.heyLatencies[name].length / (plan.rounds * plan.seconds), errors: total(figures.hey[name], 'errors') }]));
  const openLoopSummaries = Object.fromEntries(variants.map((name) => [name, medianOfRounds(figures.openLoop[name])]));
  const rounds = `${plan.rounds} rounds of ${plan.seconds} s, each taking ${variants.join(', ')} in turn`;
  const perRound = '+p50/+p99 over direct: the median over the rounds of each round\'s difference; "each round" and "rounds a–b": the per-round figures, so a spread shows how steady the comparison was (∞: nginx added nothing over direct in that round).';
  const sections = [
    latencySection({
      title: '1a. HTTP invocation latency at 1,000 req/s, 16 connections (hey)',
      intro: `hey -c 16 -q 62.5 (per-worker rate), 1 KB POST echoed by app B; ${rounds}. req/s and percentiles pool every round's requests per path. ${perRound}`,
      table: figures.hey,
      summaries: heySummaries,
      variants,
    }),
    latencySection({
      title: '1a. HTTP invocation latency at 1,000 req/s, 16 connections (open loop)',
      intro: `The node open-loop generator (undici pool of 16 connections, evenly spaced sends, latency from the scheduled start: no coordinated omission), in the bench process; the same rounds as hey's. req/s and percentiles: medians over the rounds; overheads and ratios per round as in the hey table.`,
      table: figures.openLoop,
      summaries: openLoopSummaries,
      variants,
    }),
    maxSection(figures, variants, plan),
  ];
  const { targets, comparisons } = targetList(figures);
  const raw = {
    plan,
    hey: Object.fromEntries(variants.map((name) => [name, { pooled: heySummaries[name], rounds: figures.hey[name] }])),
    openLoop: Object.fromEntries(variants.map((name) => [name, { medians: openLoopSummaries[name], rounds: figures.openLoop[name] }])),
    max: figures.max,
    comparisons,
  };
  return { sections, targets, raw };
}
