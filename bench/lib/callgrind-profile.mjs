// Where a process's counted instructions go, by function (self cost), from a callgrind dump. V8's
// compiled JavaScript has no symbols; node started with --perf-basic-prof writes /tmp/perf-<pid>.map
// (start, size and name of each piece of generated code), which names those addresses here.
import { readFileSync, rmSync } from 'node:fs';
import { runTool } from './processes.mjs';

/** The code ranges of a perf map file's text, sorted by start: [start, end, name]. */
export function parsePerfMap(text) {
  return text.split('\n').filter(Boolean).map((line) => {
    const [start, size, ...name] = line.split(' ');
    const from = parseInt(start, 16);
    return [from, from + parseInt(size, 16), name.join(' ')];
  }).sort((a, b) => a[0] - b[0]);
}

/** The name of the range holding `address`, or undefined (binary search over sorted ranges). */
export function nameAt(ranges, address) {
  let low = 0;
  let high = ranges.length - 1;
  let found;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (ranges[middle][0] <= address) {
      found = ranges[middle];
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found && address < found[1] ? found[2] : undefined;
}

/**
 * Self cost by function from callgrind_annotate's text: unnamed code (`???:0x…`) is named from `ranges`
 * (V8's `JS:*name file:line` for optimised JavaScript; "generated code, unnamed" for what the map does not
 * list, such as WebAssembly); C++ and builtins keep their symbol without the file part. Rows with the same
 * name are summed. Returns [name, instructions] pairs, largest first.
 */
export function selfCostByFunction(annotated, ranges) {
  const costs = new Map();
  for (const line of annotated.split('\n')) {
    const match = /^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.+?)\s*$/.exec(line);
    if (!match || match[2].includes('PROGRAM TOTALS')) continue;
    const address = /^\?\?\?:0x([0-9a-f]+)/.exec(match[2]);
    const name = address ? (nameAt(ranges, parseInt(address[1], 16)) ?? 'generated code, unnamed') : match[2].replace(/^[^:]*:/, '').replace(/\s*\[[^\]]*\]$/, '');
    costs.set(name, (costs.get(name) ?? 0) + Number(match[1].replace(/,/g, '')));
  }
  return [...costs].sort((a, b) => b[1] - a[1]);
}

/** The self cost by function of one callgrind dump, JIT code named from the process's perf map (which is then removed). */
export async function profileDump(dumpFile, pid) {
  const mapFile = `/tmp/perf-${pid}.map`;
  let ranges = [];
  try {
    ranges = parsePerfMap(readFileSync(mapFile, 'utf8'));
  } catch {
    // Without the map, generated code stays unnamed.
  } finally {
    rmSync(mapFile, { force: true });
  }
  const annotated = await runTool('callgrind_annotate', ['--inclusive=no', '--threshold=100', dumpFile], 300_000);
  return selfCostByFunction(annotated, ranges);
}
