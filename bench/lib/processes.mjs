// Process handling for the benchmark: every child is tracked by pid and stopped at the end, on error and
// on SIGINT/SIGTERM, so a run never leaves a sidecar, an app or nginx behind. Loopback only.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const cliBin = join(repoRoot, 'apps/cli/bin/outrigger.js');
export const benchApps = join(repoRoot, 'bench/apps');

const live = new Set();
const MAX_CHILDREN = 24;

/** A free TCP port on loopback, found by binding port 0. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

export function tempDir(prefix = 'outrigger-bench-') {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export function writeFile(path, text) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/**
 * A child process with its output kept (the last 64 KB) for failure messages. `options.prefix` runs the
 * command under another one (e.g. valgrind and its options): the child's pid is then the wrapper's,
 * which for valgrind is the measured process itself.
 */
export class Child {
  constructor(command, args, options = {}) {
    if (live.size >= MAX_CHILDREN) throw new Error(`refusing to start more than ${MAX_CHILDREN} processes`);
    this.name = options.name ?? command;
    this.startedAt = process.hrtime.bigint();
    const [launcher, ...launcherArgs] = options.prefix ?? [];
    this.process = spawn(launcher ?? command, launcher ? [...launcherArgs, command, ...args] : args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.output = '';
    const keep = (chunk) => { this.output = (this.output + chunk.toString()).slice(-65_536); };
    this.process.stdout.on('data', keep);
    this.process.stderr.on('data', keep);
    this.exited = new Promise((resolveExit) => this.process.once('exit', (code, signal) => {
      live.delete(this);
      resolveExit(code ?? signal);
    }));
    this.process.once('error', (error) => { this.output += `\nspawn error: ${error.message}`; });
    live.add(this);
  }

  get pid() { return this.process.pid; }
  get running() { return this.process.exitCode === null && this.process.signalCode === null; }

  /** SIGTERM (or `signal`), then SIGKILL after `graceMs`. Safe to call twice. */
  async stop(graceMs = 5_000, signal = 'SIGTERM') {
    if (!this.running) return;
    this.process.kill(signal);
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Aborted on Ctrl-C: ends the load tool running now (execFile kills it by its pid). */
const toolRuns = new AbortController();

/**
 * Runs a load tool to its end and resolves with its standard output. Asynchronous, so Ctrl-C is handled
 * while it runs; killed after `timeoutMs`.
 */
export function runTool(command, args, timeoutMs) {
  return new Promise((resolveRun, reject) => {
    execFile(command, args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, timeout: timeoutMs, signal: toolRuns.signal }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} failed: ${error.message}\n${stderr}`));
      else resolveRun(stdout);
    });
  });
}

/** Stops every child still running (each by its own pid). */
export async function stopAll() {
  await Promise.all([...live].map((child) => child.stop(3_000)));
}

let handlersInstalled = false;
/** On SIGINT/SIGTERM or an uncaught error: stop the children, then exit. */
export function installCleanupHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping ${live.size} child process(es)`);
      toolRuns.abort();
      void stopAll().finally(() => process.exit(130));
    });
  }
  process.on('exit', () => { for (const child of live) child.process.kill('SIGKILL'); });
}

/** One GET on a fresh connection; resolves with the status or the error's message. */
export function probeStatus(url, timeoutMs = 2_000) {
  return new Promise((resolveProbe) => {
    const request = get(url, { agent: false, timeout: timeoutMs }, (response) => {
      response.resume();
      response.once('end', () => resolveProbe(response.statusCode));
    });
    request.once('timeout', () => request.destroy(new Error('timed out')));
    request.once('error', (error) => resolveProbe(error.message));
  });
}

export const sleep = (ms) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

/** Polls `url` every `everyMs` until it answers `status`; fails with the owner's output otherwise. */
export async function waitForStatus(url, status, owner, timeoutMs = 60_000, everyMs = 20) {
  const until = Date.now() + timeoutMs;
  let last;
  for (;;) {
    if (owner && !owner.running) throw new Error(`${owner.name} exited early:\n${owner.output}`);
    last = await probeStatus(url);
    if (last === status) return;
    if (Date.now() > until) throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${last})\n${owner?.output ?? ''}`);
    await sleep(everyMs);
  }
}

/**
 * Waits until every child has printed "listening" (the bench apps and baselines do once they accept
 * connections). @throws when one exits first, or after `timeoutMs`
 */
export async function waitListening(children, timeoutMs) {
  const until = Date.now() + timeoutMs;
  while (!children.every((child) => /listening/.test(child.output))) {
    const gone = children.find((child) => !child.running);
    if (gone) throw new Error(`${gone.name} exited early:\n${gone.output}`);
    if (Date.now() > until) throw new Error(`did not start within ${timeoutMs} ms:\n${children.map((child) => child.output).join('\n')}`);
    await sleep(20);
  }
}

/** A `Name:  N kB` line of /proc text (status, smaps_rollup) in bytes; NaN when it is not there. */
function kbField(text, name) {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) * 1024 : NaN;
}

/** One field of /proc/<pid>/status in bytes (VmRSS, VmHWM, ...). */
export function statusBytes(pid, name) {
  return kbField(readFileSync(`/proc/${pid}/status`, 'utf8'), name);
}

/** Resident set size of a process in bytes, from /proc/<pid>/status. */
export function rssBytes(pid) {
  return statusBytes(pid, 'VmRSS');
}

/**
 * A process's memory in bytes: RSS and its anonymous part (heap, stacks: the process's own) from
 * /proc/<pid>/status, and PSS from smaps_rollup (shared pages, such as the node binary's, divided among
 * the processes that map them).
 */
export function memoryBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  let pss = NaN;
  try {
    pss = kbField(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'), 'Pss');
  } catch {
    // smaps_rollup needs Linux 4.14; without it the column stays empty.
  }
  return { rss: kbField(status, 'VmRSS'), anon: kbField(status, 'RssAnon'), file: kbField(status, 'RssFile'), pss };
}

/** User + system CPU seconds a process has used, from /proc/<pid>/stat (clock ticks of 1/100 s on Linux). */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The ids of a process's children (nginx's workers under its master), from /proc. */
export function childPids(pid) {
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
}

/** The machine's CPU time so far, all cores: busy and idle jiffies from /proc/stat (for an idle share over a window). */
export function machineCpu() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
  const values = fields.map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  return { total, idle: (values[3] ?? 0) + (values[4] ?? 0) };
}

export function mkdirp(path) {
  mkdirSync(path, { recursive: true });
  return path;
}
