import { spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@outrigger/kit';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root, found from this compiled file (tests/dist/harness). */
export const repoRoot = resolve(here, '../../..');
export const cliMain = join(repoRoot, 'apps/cli/dist/main.js');
export const testAppsDir = join(repoRoot, 'tests/apps');

/** A free TCP port on loopback, found by binding port 0. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** A temporary folder removed by `cleanup()`. */
export function tempDir(prefix = 'outrigger-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

export function writeFile(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** A spawned process with its output kept for assertions and failure messages. */
export class Spawned {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<number | null>;
  /** Resolves once the process's output pipes have closed: after an exit, the output is then whole. */
  readonly outputClosed: Promise<void>;

  /** `uid`/`gid` run the process as another account (needs root), e.g. a database server that refuses root. */
  constructor(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; uid?: number; gid?: number } = {}) {
    this.child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, uid: options.uid, gid: options.gid, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => { this.output += chunk.toString(); });
    this.child.stderr?.on('data', (chunk: Buffer) => { this.output += chunk.toString(); });
    this.exited = new Promise((resolveExit) => this.child.once('exit', (code, signal) => resolveExit(code ?? (signal ? -1 : null))));
    this.outputClosed = new Promise((resolveClose) => this.child.once('close', () => resolveClose()));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM, then SIGKILL if the process has not exited within `graceMs`. Safe to call twice. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Waits until GET url answers with `status`; fails with the process output when it does not. */
export async function waitForStatus(url: string, status: number, owner?: Spawned, timeoutMs = 60_000): Promise<void> {
  let last = 'no answer yet';
  // waitFor takes a check that throws for a passing failure and tries again; an exit is final, so the
  // check ends the wait with it instead and it is thrown here.
  let exited = false;
  await waitFor(`${url} to answer ${status}`, async () => {
    if (owner && !owner.running) return (exited = true);
    const answer = await probeStatus(url);
    last = typeof answer === 'number' ? `last answer ${answer}` : `last error: ${answer}`;
    return answer === status;
  }, timeoutMs).catch((error: Error) => {
    throw new Error(`${error.message} (${last})\n--- process output ---\n${owner?.output ?? ''}`);
  });
  if (exited && owner) {
    // A child it left behind may hold the pipes open: the output is taken as it is after a while.
    await Promise.race([owner.outputClosed, delay(2_000, undefined, { ref: false })]);
    throw new Error(`the process exited before ${url} answered ${status} (${last})\n--- process output ---\n${owner.output}`);
  }
}

/**
 * One GET on a fresh connection with its own timeout: a pooled keep-alive socket to an earlier
 * process on a reused port, or a request stuck on a busy machine, must not stall the wait.
 */
function probeStatus(url: string): Promise<number | string> {
  return new Promise((resolve) => {
    const request = get(url, { agent: false, timeout: 2_000 }, (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 0));
    });
    request.once('timeout', () => request.destroy(new Error('timed out after 2 s')));
    request.once('error', (error) => resolve(error.message));
  });
}
