/*
 * Child process for the pubsub.sqlite multi-process tests: one subscription on a shared broker file.
 * Usage: node pubsub-worker.js <file> <topic> <group> <mode> <visibilityTimeout>
 * mode `ack` prints `got <body>` for each message and acknowledges it; mode `hang` prints it and never
 * settles the handler, keeping the lease until the process dies (the SIGKILL test).
 * Prints `ready` once subscribed; closes the component and exits 0 when stdin ends.
 */
import { SqlitePubSub } from '../pubsub-sqlite.js';
import { testContext } from './context.js';

const [file, topic, group, mode, visibilityTimeout] = process.argv.slice(2);
if (!file || !topic || !group || (mode !== 'ack' && mode !== 'hang') || !visibilityTimeout) {
  throw new Error('usage: pubsub-worker <file> <topic> <group> <ack|hang> <visibilityTimeout>');
}

const pubsub = new SqlitePubSub();
// A generous busy timeout: the other processes hammer the same lock.
await pubsub.init(testContext({ connectionString: file, consumerID: group, visibilityTimeout, pollInterval: '10ms', busyTimeout: '10s' }));
await pubsub.subscribe({ topic }, async (message) => {
  process.stdout.write(`got ${Buffer.from(message.data).toString('utf8')}\n`);
  if (mode === 'hang') await new Promise<never>(() => undefined);
});
process.stdout.write('ready\n');
process.stdin.on('end', () => {
  void pubsub.close().then(() => process.exit(0));
});
process.stdin.resume();
