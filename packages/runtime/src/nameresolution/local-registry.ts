import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/** One running sidecar as the local registry knows it. */
export interface RegisteredSidecar {
  readonly registrationId: string;
  readonly appId: string;
  readonly namespace: string;
  /** `host:port` of the sidecar's internal (sidecar-to-sidecar) server. */
  readonly internalAddress: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  readonly appPort: number | undefined;
  readonly pid: number;
  readonly startedAt: number;
  readonly updatedAt: number;
}

/** Longest a lookup's answer is reused while no other sidecar has written to the registry. */
const lookupCacheMs = 250;
/** How often a busy sidecar asks SQLite whether another sidecar wrote: a change is seen this late at most. */
const versionCheckMs = 20;

/**
 * The self-hosted name resolver: a SQLite file shared by every sidecar on the machine, in the manner
 * of Dapr's `nameresolution.sqlite`. Chosen over mDNS because multicast is often blocked in
 * containers and CI, and because a file gives `outrigger list` the same view at no cost.
 * Sidecars refresh their row every `updateIntervalMs`; rows older than three intervals are stale.
 */
export class LocalRegistry {
  private readonly db: Database.Database;
  private readonly staleAfterMs: number;
  /** Prepared once: every remote invocation looks its target up, and preparing costs more than the query. */
  private readonly lookupStatement: Database.Statement<[string, string, number]>;
  /** SQLite's count of commits by other connections (other sidecars registering, leaving, heartbeating). */
  private readonly dataVersion: Database.Statement<[]>;
  /** Lookups answered lately, kept while no other sidecar has written and for at most `lookupCacheMs`. */
  private readonly recent = new Map<string, { readonly rows: RegisteredSidecar[]; readonly version: number; readonly at: number }>();
  /** The last data_version read and when: each read is a read transaction on the shared file (locks, syscalls). */
  private lastVersion = { value: -1, at: 0 };

  constructor(readonly path: string, readonly updateIntervalMs = 2_000) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path, { timeout: 2_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS hosts (
      registration_id TEXT PRIMARY KEY,
      app_id TEXT NOT NULL,
      namespace TEXT NOT NULL,
      internal_address TEXT NOT NULL,
      http_port INTEGER NOT NULL,
      grpc_port INTEGER NOT NULL,
      app_port INTEGER,
      pid INTEGER NOT NULL,
      started_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS hosts_app ON hosts (app_id, namespace);`);
    this.staleAfterMs = updateIntervalMs * 3;
    this.lookupStatement = this.db.prepare('SELECT * FROM hosts WHERE app_id = ? AND namespace = ? AND updated_at > ?');
    this.dataVersion = this.db.prepare('PRAGMA data_version').pluck();
  }

  register(entry: Omit<RegisteredSidecar, 'updatedAt'>): void {
    this.recent.clear();
    this.db.prepare(`INSERT OR REPLACE INTO hosts VALUES (@registrationId, @appId, @namespace, @internalAddress, @httpPort, @grpcPort, @appPort, @pid, @startedAt, @updatedAt)`)
      .run({ ...entry, appPort: entry.appPort ?? null, updatedAt: Date.now() });
  }

  /** Refreshes the row's timestamp so lookups keep seeing it as live. */
  heartbeat(registrationId: string): void {
    this.recent.clear();
    this.db.prepare('UPDATE hosts SET updated_at = ? WHERE registration_id = ?').run(Date.now(), registrationId);
  }

  unregister(registrationId: string): void {
    this.recent.clear();
    this.db.prepare('DELETE FROM hosts WHERE registration_id = ?').run(registrationId);
  }

  /** Live sidecars of an app id in a namespace. */
  lookup(appId: string, namespace: string): RegisteredSidecar[] {
    // Every remote invocation asks, so a recent answer is reused while the file is unchanged by others
    // (PRAGMA data_version, read at most every 20 ms, is far cheaper than the query) and for a short while
    // only, so a row turning stale without any write is still noticed.
    const key = `${appId}\u0000${namespace}`;
    const now = Date.now();
    if (now - this.lastVersion.at >= versionCheckMs) this.lastVersion = { value: this.dataVersion.get() as number, at: now };
    const version = this.lastVersion.value;
    const cached = this.recent.get(key);
    if (cached && cached.version === version && now - cached.at < lookupCacheMs) return cached.rows;
    const rows = (this.lookupStatement.all(appId, namespace, now - this.staleAfterMs) as Row[]).map(fromRow);
    if (this.recent.size > 1_000) this.recent.clear();
    this.recent.set(key, { rows, version, at: now });
    return rows;
  }

  /** Every live sidecar, for `outrigger list`; stale rows are removed on the way. */
  list(): RegisteredSidecar[] {
    this.db.prepare('DELETE FROM hosts WHERE updated_at <= ?').run(Date.now() - this.staleAfterMs * 10);
    const rows = this.db.prepare('SELECT * FROM hosts WHERE updated_at > ? ORDER BY app_id').all(Date.now() - this.staleAfterMs) as Row[];
    return rows.map(fromRow);
  }

  close(): void {
    this.db.close();
  }
}

interface Row {
  registration_id: string;
  app_id: string;
  namespace: string;
  internal_address: string;
  http_port: number;
  grpc_port: number;
  app_port: number | null;
  pid: number;
  started_at: number;
  updated_at: number;
}

function fromRow(row: Row): RegisteredSidecar {
  return {
    registrationId: row.registration_id,
    appId: row.app_id,
    namespace: row.namespace,
    internalAddress: row.internal_address,
    httpPort: row.http_port,
    grpcPort: row.grpc_port,
    appPort: row.app_port ?? undefined,
    pid: row.pid,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
  };
}
