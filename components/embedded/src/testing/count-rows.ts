import Database from 'better-sqlite3';

/** The rows of one table, read straight from a broker or store file (a read-only connection of its own). */
export function countRows(file: string, table: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}
