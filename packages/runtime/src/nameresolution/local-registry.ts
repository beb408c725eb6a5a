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

/**
 * The self-hosted name resolver: a SQLite file shared by every sidecar on the machine, in the manner
 * of Dapr's `nameresolution.sqlite`. Chosen over mDNS because multicast is often blocked in
 * containers and CI, and because a file gives `outrigger list` the same view at no cost.
 * Sidecars refresh their row every `updateIntervalMs`; rows older than three intervals are stale.
 */
export class LocalRegistry {
  private readonly db: Database.Database;
  private readonly staleAfterMs: number;

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
  }

  register(entry: Omit<RegisteredSidecar, 'updatedAt'>): void {
    this.db.prepare(`INSERT OR REPLACE INTO hosts VALUES (@registrationId, @appId, @namespace, @internalAddress, @httpPort, @grpcPort, @appPort, @pid, @startedAt, @updatedAt)`)
      .run({ ...entry, appPort: entry.appPort ?? null, updatedAt: Date.now() });
  }

  /** Refreshes the row's timestamp so lookups keep seeing it as live. */
  heartbeat(registrationId: string): void {
    this.db.prepare('UPDATE hosts SET updated_at = ? WHERE registration_id = ?').run(Date.now(), registrationId);
  }

  unregister(registrationId: string): void {
    this.db.prepare('DELETE FROM hosts WHERE registration_id = ?').run(registrationId);
  }

  /** Live sidecars of an app id in a namespace. */
  lookup(appId: string, namespace: string): RegisteredSidecar[] {
    const rows = this.db.prepare('SELECT * FROM hosts WHERE app_id = ? AND namespace = ? AND updated_at > ?')
      .all(appId, namespace, Date.now() - this.staleAfterMs) as Row[];
    return rows.map(fromRow);
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
