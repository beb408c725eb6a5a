/*
 * Child process for the journal-mode test: opens a sqlite file in its rollback journal mode, takes the
 * write lock (BEGIN IMMEDIATE), prints `held`, and keeps the lock until a line arrives on stdin; then
 * commits and exits 0. Usage: node write-lock-holder.js <file>.
 */
import Database from 'better-sqlite3';

const [file] = process.argv.slice(2);
if (!file) throw new Error('usage: write-lock-holder <file>');
const db = new Database(file);
db.exec('BEGIN IMMEDIATE');
process.stdout.write('held\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
db.exec('COMMIT');
db.close();
process.exit(0);
