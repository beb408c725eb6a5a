// Helpers for the CLI's integration tests: they start the real `outrigger` (dist/main.js) as a child
// process, each test with its own temporary OUTRIGGER_HOME and free ports, and never sleep for a
// fixed time: conditions are polled with a bound.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@outrigger/kit';
import { freePorts } from '../commands/free-ports.js';
import { isAlive, settlesWithin } from '../commands/processes.js';

export const cliMain = fileURLToPath(new URL('../main.js', import.meta.url));

export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly pid: number;
  /** stdout and stderr interleaved as they arrived. */
  output(): string;
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A temporary folder with OUTRIGGER_HOME inside it, and the pids the test must not leave behind. */
export class Sandbox {
  readonly dir = mkdtempSync(join(tmpdir(), 'outrigger-cli-'));
  readonly home = join(this.dir, 'home');
  private readonly processes: CliProcess[] = [];
  private readonly pids = new Set<number>();

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, OUTRIGGER_HOME: this.home, DAPR_API_TOKEN: '', APP_API_TOKEN: '' };
  }

  /** Starts `outrigger <args>`; it is stopped (SIGTERM, then SIGKILL) in `cleanup` if still running. */
  start(args: readonly string[], cwd = this.dir): CliProcess {
    const child = spawn(process.execPath, [cliMain, ...args], { cwd, env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); stderr += chunk.toString(); });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.on('close', (code, signal) => resolve({ code, signal }));
    });
    if (child.pid === undefined) throw new Error('outrigger did not start');
    const started: CliProcess = { child, pid: child.pid, output: () => output, stdout: () => stdout, stderr: () => stderr, exited };
    this.processes.push(started);
    return started;
  }

  /** Runs `outrigger <args>` to completion (bounded). */
  async run(args: readonly string[], timeoutMs = 30_000, cwd = this.dir): Promise<{ code: number | null; stdout: string; stderr: string; output: string }> {
    const cli = this.start(args, cwd);
    if (!(await settlesWithin(cli.exited, timeoutMs))) throw new Error(`outrigger ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${cli.output()}`);
    const { code } = await cli.exited;
    return { code, stdout: cli.stdout(), stderr: cli.stderr(), output: cli.output() };
  }

  /** Pids started indirectly (sidecars, apps) that cleanup must make sure are gone. */
  track(...pids: number[]): void {
    for (const pid of pids) if (pid > 0) this.pids.add(pid);
  }

  async cleanup(): Promise<void> {
    for (const cli of this.processes) {
      if (cli.child.exitCode !== null || cli.child.signalCode !== null) continue;
      cli.child.kill('SIGTERM');
      if (!(await settlesWithin(cli.exited, 15_000))) cli.child.kill('SIGKILL');
    }
    for (const pid of this.pids) {
      if (!isAlive(pid)) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls until `check` returns a truthy value (bounded), failing with the CLI's output for context. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, cli?: CliProcess, timeoutMs = 30_000): Promise<T> {
  try {
    return await waitFor(what, async () => {
      if (cli && (cli.child.exitCode !== null || cli.child.signalCode !== null)) throw new Error(`outrigger exited early (${cli.child.exitCode ?? cli.child.signalCode})`);
      return check();
    }, timeoutMs, 50);
  } catch (error) {
    throw new Error(`${(error as Error).message}${cli ? `\n--- outrigger output ---\n${cli.output()}` : ''}`);
  }
}

/** Waits (bounded) until none of the pids exists any more. */
export async function gone(pids: readonly number[], timeoutMs = 15_000): Promise<boolean> {
  await waitFor(`pids ${pids.join(', ')} to exit`, () => pids.every((pid) => !isAlive(pid)), timeoutMs, 50);
  return true;
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('no free port');
  return port;
}
