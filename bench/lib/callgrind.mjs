// Counting the instructions a process executes, with valgrind's callgrind. On this kind of machine there
// are no hardware counters and wall-clock CPU time swings ±15–30% from minute to minute; an instruction
// count of the same work comes out the same within about 1%, whatever else the machine does. The count
// is of user-space instructions only: the kernel's share of a hop (about 30% of its CPU here) is not in it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTool } from './processes.mjs';
import { has } from './tools.mjs';

export const callgrindAvailable = () => has('valgrind') && has('callgrind_control');

/**
 * The command prefix that runs a process under callgrind with counting off until `setCounting` turns it
 * on; each process (nginx's forked worker too) writes its dumps to `dir`/cg.<pid>.<n>.
 */
export function callgrindPrefix(dir) {
  return ['valgrind', '--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${join(dir, 'cg.%p')}`, '--log-file=/dev/null'];
}

/** Turns counting on or off in a process running under callgrind. */
export async function setCounting(pid, on) {
  await control(['-i', on ? 'on' : 'off', String(pid)]);
}

/** callgrind_control exits 0 even when it finds no such process; its output says so. */
async function control(args) {
  const output = await runTool('callgrind_control', args, 60_000);
  if (!/OK\./.test(output)) throw new Error(`callgrind_control ${args.join(' ')}: ${output.trim()}`);
}

/**
 * Dumps a process's counts since its last dump (callgrind then starts again from zero) and returns the
 * instructions in that dump and the dump's file.
 */
export async function dumpInstructions(dir, pid) {
  const before = dumpFiles(dir, pid).length;
  await control(['-d', String(pid)]);
  const files = dumpFiles(dir, pid);
  if (files.length !== before + 1) throw new Error(`callgrind_control -d ${pid} wrote ${files.length - before} dump files`);
  const file = join(dir, files[files.length - 1]);
  return { instructions: partInstructions(readFileSync(file, 'utf8')), file };
}

/** A dump's `summary:` line: the instructions counted in that part. */
export function partInstructions(text) {
  const match = /^summary:\s+(\d+)\s*$/m.exec(text);
  if (!match) throw new Error('callgrind dump without a summary line');
  return Number(match[1]);
}

function dumpFiles(dir, pid) {
  const pattern = new RegExp(`^cg\\.${pid}\\.(\\d+)$`);
  return readdirSync(dir).filter((name) => pattern.test(name)).sort((a, b) => Number(pattern.exec(a)[1]) - Number(pattern.exec(b)[1]));
}
