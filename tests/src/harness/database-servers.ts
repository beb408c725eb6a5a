import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@outrigger/kit';
import { freePort, Spawned, tempDir } from './processes.js';

/** A database server of our own on a free port, with its data in a temp folder; stopped and started by pid. */
export interface PrivateServer {
  readonly port: number;
  /** Starts the server (again) on the same port and data, and waits until it answers. */
  start(): Promise<void>;
  /** Ends the server abruptly (as a crash would) and waits for the process to exit. */
  kill(): Promise<void>;
  /** Kills it if running and removes the data folder. */
  dispose(): Promise<void>;
  /** Runs SQL with the server's command-line client (psql, mariadb) as the admin user. @throws on failure. */
  sql(statement: string): void;
  /** The server's own log, for failure messages. */
  readonly output: () => string;
}

function runClient(command: string, args: readonly string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr || result.error?.message}`);
}

/** Why a private server cannot be started here, when it cannot. */
export class PrivateServerUnavailable extends Error {}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** uid and gid of a system account, from /etc/passwd. */
function account(name: string): { uid: number; gid: number } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.startsWith(`${name}:`));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** The newest PostgreSQL server binaries installed the Debian way. */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((name) => existsSync(join(root, name, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new PrivateServerUnavailable('no PostgreSQL server binaries under /usr/lib/postgresql/*/bin');
  return join(root, newest, 'bin');
}

/**
 * Why a private server of `kind` cannot be started here (binaries or the account to run them missing),
 * or undefined when it can. With CI=true a missing server is an error, not a reason to skip.
 */
export function privateServerUnavailable(kind: 'postgres' | 'mariadb'): string | undefined {
  let reason: string | undefined;
  try {
    if (kind === 'postgres') {
      postgresBin();
      if (isRoot && !account('postgres')) reason = 'running as root and there is no postgres account to run the server as';
    } else if (!existsSync('/usr/sbin/mariadbd') && !existsSync('/usr/sbin/mysqld')) {
      reason = 'no mariadbd installed';
    }
  } catch (error) {
    reason = error instanceof Error ? error.message : String(error);
  }
  if (reason && process.env.CI === 'true') throw new Error(`cannot start a private ${kind} server: ${reason}; CI=true requires it`);
  return reason;
}

/**
 * A private PostgreSQL: `initdb` (trust authentication, user `postgres`) into a temp folder, then
 * `postgres` on a free port, listening on 127.0.0.1 only, with its socket in the folder.
 * initdb and postgres refuse to run as root, so as root both run as the `postgres` account, which
 * then owns the folder.
 */
export async function startPrivatePostgres(): Promise<PrivateServer> {
  const bin = postgresBin();
  const owner = isRoot ? account('postgres') : undefined;
  if (isRoot && !owner) throw new PrivateServerUnavailable('running as root and there is no postgres account to run the server as');
  const dir = tempDir('outrigger-pg-');
  const dataDir = join(dir.path, 'data');
  if (owner) chownSync(dir.path, owner.uid, owner.gid);
  const init = spawnSync(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'], { ...owner, encoding: 'utf8' });
  if (init.status !== 0) {
    dir.cleanup();
    throw new PrivateServerUnavailable(`initdb failed: ${init.stderr || init.error?.message}`);
  }
  const port = await freePort();
  let server: Spawned | undefined;
  let log = '';
  const handle: PrivateServer = {
    port,
    output: () => log + (server?.output ?? ''),
    sql: (statement) => runClient(join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-q', '-c', statement]),
    async start() {
      if (server?.running) return;
      log += server?.output ?? '';
      // fsync off: the data only has to survive a process crash, not a power cut, and tests run faster.
      server = new Spawned(join(bin, 'postgres'), ['-D', dataDir, '-p', String(port), '-k', dir.path, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'], { ...owner });
      const running = server;
      await waitFor(`private PostgreSQL on port ${port}`, () => {
        if (!running.running) throw new Error(`postgres exited:\n${running.output}`);
        return spawnSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-t', '1']).status === 0;
      }, 30_000, 50);
    },
    async kill() {
      // SIGQUIT is PostgreSQL's immediate shutdown: no checkpoint, clients cut off, recovery on the next start.
      if (server?.running) {
        server.child.kill('SIGQUIT');
        await server.exited;
      }
    },
    async dispose() {
      await handle.kill();
      dir.cleanup();
    },
  };
  await handle.start();
  return handle;
}

/**
 * A private MariaDB: `mariadb-install-db` into a temp folder (root with an empty password), then
 * `mariadbd` on a free port, 127.0.0.1 only, with its socket in the folder. As root the server is told
 * to stay root (`--user=root`); otherwise it runs as the current user.
 */
export async function startPrivateMariadb(): Promise<PrivateServer> {
  const installer = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'].find((path) => existsSync(path));
  const daemon = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'].find((path) => existsSync(path));
  if (!installer || !daemon) throw new PrivateServerUnavailable('no mariadb-install-db or mariadbd installed');
  const dir = tempDir('outrigger-mariadb-');
  const dataDir = join(dir.path, 'data');
  const user = isRoot ? ['--user=root'] : [];
  const install = spawnSync(installer, ['--no-defaults', `--datadir=${dataDir}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...user], { encoding: 'utf8' });
  if (install.status !== 0) {
    dir.cleanup();
    throw new PrivateServerUnavailable(`mariadb-install-db failed: ${install.stderr || install.stdout || install.error?.message}`);
  }
  const client = ['/usr/bin/mariadb', '/usr/bin/mysql'].find((path) => existsSync(path)) ?? 'mariadb';
  const port = await freePort();
  let server: Spawned | undefined;
  let log = '';
  const handle: PrivateServer = {
    port,
    output: () => log + (server?.output ?? ''),
    sql: (statement) => runClient(client, ['--no-defaults', '-h', '127.0.0.1', '-P', String(port), '-u', 'root', '-e', statement]),
    async start() {
      if (server?.running) return;
      log += server?.output ?? '';
      server = new Spawned(daemon, [
        '--no-defaults', `--datadir=${dataDir}`, `--port=${port}`, '--bind-address=127.0.0.1', `--socket=${join(dir.path, 'mysqld.sock')}`,
        `--pid-file=${join(dir.path, 'mysqld.pid')}`, '--skip-name-resolve', '--innodb-buffer-pool-size=16M', '--skip-log-bin', ...user,
      ]);
      const running = server;
      await waitFor(`private MariaDB on port ${port}`, () => {
        if (!running.running) throw new Error(`mariadbd exited:\n${running.output}`);
        return running.output.includes('ready for connections');
      }, 60_000, 50);
    },
    async kill() {
      // SIGKILL: a crash; InnoDB recovers committed transactions on the next start.
      if (server?.running) {
        server.child.kill('SIGKILL');
        await server.exited;
      }
    },
    async dispose() {
      await handle.kill();
      dir.cleanup();
    },
  };
  await handle.start();
  return handle;
}
