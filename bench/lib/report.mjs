// The report: bench/results/<date>.md for people and <date>.json with every figure, both from one
// results object ({ meta, sections: [{ title, intro, columns, rows, notes }], targets }).
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

export function machine() {
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverageAtStart: loadavg().map((value) => Number(value.toFixed(2))),
  };
}

/** A number for a table cell: fixed decimals for small values, thousands for big ones, '–' when missing. */
export function cell(value, digits = 2) {
  if (value === undefined || value === null || (typeof value === 'number' && !Number.isFinite(value))) return '–';
  if (typeof value !== 'number') return String(value);
  if (Math.abs(value) >= 1_000) return Math.round(value).toLocaleString('en-US');
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(digits);
}

export function times(value) {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '–';
}

/** The min–max of a spread() (lib/stats.mjs) as text, each end through `format`; ∞ for an unbounded ratio; one value when both ends read the same. */
export function rangeText({ min, max }, format) {
  const end = (value) => (value === Infinity ? '∞' : format(value));
  return end(min) === end(max) ? end(min) : `${end(min)}–${end(max)}`;
}

function table(columns, rows) {
  const lines = [`| ${columns.join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`];
  for (const row of rows) lines.push(`| ${row.map((value) => cell(value)).join(' | ')} |`);
  return lines.join('\n');
}

export function renderMarkdown(results) {
  const { meta } = results;
  const out = [`# Outrigger benchmark ${meta.date}${meta.quick ? ' (quick mode)' : ''}`, ''];
  out.push(`\`${meta.command}\` — ${meta.durationSeconds} s in all.`, '');
  out.push(`Machine: ${meta.machine.cores} cores (${meta.machine.cpuModel}), ${meta.machine.memoryGiB} GiB, ${meta.machine.platform}, Node ${meta.machine.node}. `
    + `Load average at start ${meta.machine.loadAverageAtStart.join(' / ')}, at end ${meta.loadAverageAtEnd.join(' / ')}.`);
  out.push(`Tools: ${Object.entries(meta.tools).map(([name, version]) => `${name}: ${version}`).join('; ')}.`, '');
  for (const note of meta.notes ?? []) out.push(`> ${note}`, '');
  if (results.targets.length > 0) {
    // `floor`: what a plain Node process (bench/lib/baselines.mjs) reached on the same measure in the same run.
    const withFloor = results.targets.some((t) => t.floor !== undefined);
    const columns = ['target', 'bar', 'measured', 'result', ...(withFloor ? ['plain Node, same run'] : [])];
    const rows = results.targets.map((t) => [t.name, t.bar, t.measured, t.pass === undefined ? 'n/a' : t.pass ? 'pass' : 'MISS', ...(withFloor ? [t.floor ?? '–'] : [])]);
    out.push('## Targets', '', table(columns, rows), '');
    if (withFloor) out.push('The last column is the same measure taken on a plain Node process doing the least the path needs (bench/lib/baselines.mjs): where it misses the bar too, the bar is below what Node reaches on this machine.', '');
  }
  for (const section of results.sections) {
    out.push(`## ${section.title}`, '');
    if (section.intro) out.push(section.intro, '');
    if (section.rows?.length) out.push(table(section.columns, section.rows), '');
    for (const note of section.notes ?? []) out.push(`- ${note}`);
    if (section.notes?.length) out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** Writes <dir>/<stamp>.md and .json; returns their paths. */
export function writeResults(results, dir, stamp) {
  mkdirSync(dir, { recursive: true });
  const md = join(dir, `${stamp}.md`);
  const json = join(dir, `${stamp}.json`);
  writeFileSync(md, renderMarkdown(results));
  // JSON has no Infinity: an unbounded ratio (lib/stats.mjs overheadRatio) is written as the string, a missing figure as null.
  writeFileSync(json, `${JSON.stringify(results, (_, value) => (value === Infinity ? 'Infinity' : typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`);
  return { md, json };
}
