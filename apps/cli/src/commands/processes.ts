import { spawn, type ChildProcess } from 'node:child_process';
import { pipeWithPrefix } from './line-prefixer.js';

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. ENOENT). */
  readonly error?: Error;
}

/** A child process this CLI started, with its output prefixed line by line. */
export interface Child {
  readonly process: ChildProcess;
  readonly pid: number | undefined;
  /** Resolves when the process has exited (or failed to start). */
  readonly exited: Promise<ChildExit>;
  /** Resolves when its stdout and stderr have been drained, so the last lines are printed. */
  readonly closed: Promise<void>;
  running(): boolean;
  /** Signals the child, or with `group` its whole process group (only while the child itself runs). */
  signal(signal: NodeJS.Signals): void;
}

export interface SpawnOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly prefix: string;
  /**
   * Start the child in its own process group (POSIX). A Ctrl-C in the terminal then reaches only
   * this CLI, which stops the children in order; and signalling the group also reaches whatever an
   * app wrapper (npm, a shell script) started, so nothing is left behind.
   */
  readonly group: boolean;
}

const live = new Set<Child>();
let exitHookInstalled = false;

/** Last resort when this CLI dies from an uncaught error: SIGKILL every child it started that still runs. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) if (child.running()) child.signal('SIGKILL');
  });
}

export function spawnChild(command: string, args: readonly string[], options: SpawnOptions): Child {
  installExitHook();
  const useGroup = options.group && process.platform !== 'win32';
  const proc = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: useGroup });
  let startError: Error | undefined;
  const exited = new Promise<ChildExit>((resolve) => {
    proc.once('exit', (code, signal) => resolve({ code, signal }));
    // `on`, not `once`: a later 'error' (a failed kill) with no listener would crash the CLI.
    proc.on('error', (error) => {
      // 'error' without 'exit' means it never started; after a start, errors are about kill() and are ignored here.
      if (proc.pid === undefined) {
        startError = error;
        resolve({ code: null, signal: null, error });
      }
    });
  });
  const closed = Promise.all([
    pipeWithPrefix(proc.stdout, options.prefix, process.stdout),
    pipeWithPrefix(proc.stderr, options.prefix, process.stderr),
  ]).then(() => undefined);
  const child: Child = {
    process: proc,
    pid: proc.pid,
    exited,
    closed,
    running: () => proc.pid !== undefined && startError === undefined && proc.exitCode === null && proc.signalCode === null,
    signal: (signal) => {
      if (!child.running() || proc.pid === undefined) return;
      try {
        if (useGroup) process.kill(-proc.pid, signal);
        else proc.kill(signal);
      } catch {
        // Gone in the meantime (ESRCH).
      }
    },
  };
  live.add(child);
  void exited.then(() => live.delete(child));
  return child;
}

/**
 * Stops a child: SIGTERM, then SIGKILL if it has not exited within `graceMs`. Resolves once it has
 * exited. Only ever signals the child given (and its own process group).
 */
export async function terminate(child: Child, graceMs: number): Promise<void> {
  if (!child.running()) {
    await child.exited;
    return;
  }
  child.signal('SIGTERM');
  if (!(await settlesWithin(child.exited, graceMs))) {
    child.signal('SIGKILL');
    await child.exited;
  }
}

/** True when `promise` settles within `ms`; the timer is cleared so it never holds the process open. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether a process with this pid exists (signal 0 checks without signalling). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Describes how a child ended, for status lines. */
export function describeExit(exit: ChildExit): string {
  if (exit.error) return exit.error.message;
  if (exit.signal) return `terminated by signal: ${exit.signal}`;
  return `exited with error code: ${exit.code ?? 'unknown'}`;
}

/** Exits after stdout and stderr have taken everything written so far (pipes may be asynchronous). */
export function exitWhenFlushed(code: number): void {
  process.stdout.write('', () => {
    process.stderr.write('', () => process.exit(code));
  });
}
