/**
 * Parses a Go-style duration ("5s", "1m30s", "250ms", "1h") or a bare number of seconds.
 * Dapr YAML and flags use Go durations, so Outrigger accepts the same spellings.
 * @throws Error when the text is not a duration.
 */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') return text * 1000;
  const trimmed = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const part = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(part)) {
    if (match.index !== consumed) break;
    total += Number(match[1]) * (unitMs[match[2] as string] ?? 0);
    consumed += match[0].length;
  }
  if (consumed === 0 || consumed !== trimmed.length) throw new Error(`invalid duration "${text}"`);
  return total;
}
