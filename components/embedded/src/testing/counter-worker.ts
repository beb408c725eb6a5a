/*
 * Child process for the multi-process test: does N ETag-guarded increments of one counter in a shared
 * sqlite file, retrying on EtagMismatchError. Usage: node counter-worker.js <file> <key> <count>.
 * Prints `ready` once the store is open, waits for a line on stdin (so both workers start together),
 * then prints `{"conflicts":n}` and exits 0.
 */
import { EtagMismatchError } from '@outrigger/components-api';
import { SqliteStateStore } from '../sqlite.js';
import { testContext } from './context.js';

const [file, key, countText] = process.argv.slice(2);
if (!file || !key || !countText) throw new Error('usage: counter-worker <file> <key> <count>');
const count = Number(countText);

const store = new SqliteStateStore();
// A generous busy timeout: the other worker hammers the same lock.
await store.init(testContext({ connectionString: file, busyTimeout: '30s' }));
process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
process.stdin.destroy();

let conflicts = 0;
for (let done = 0; done < count;) {
  const current = await store.get({ key });
  const next = current ? Number(Buffer.from(current.value).toString('utf8')) + 1 : 1;
  const value = new Uint8Array(Buffer.from(String(next)));
  try {
    // The first write of the counter must not overwrite one the other worker made meanwhile.
    await store.set(current ? { key, value, etag: current.etag } : { key, value, options: { concurrency: 'first-write' } });
    done += 1;
  } catch (error) {
    if (!(error instanceof EtagMismatchError)) throw error;
    conflicts += 1;
  }
}
await store.close();
process.stdout.write(`${JSON.stringify({ conflicts })}\n`);
