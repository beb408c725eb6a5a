// A subscriber built on the official SDK's DaprServer (HTTP mode). Subscribes to every topic in
// $TOPICS (comma-separated) on $PUBSUB; each message's data.id is appended to $LEDGER (when set) before
// the handler returns, so at-least-once delivery can be counted across restarts. GET /received lists
// what this process got. $BULK_TOPIC, when set, is subscribed with bulk subscribe.
import { appendFileSync } from 'node:fs';
import { DaprServer, CommunicationProtocolEnum, HttpMethod, LogLevel } from '@dapr/dapr';

const pubsub = process.env.PUBSUB ?? 'pubsub';
const received = [];
const server = new DaprServer({
  serverHost: '127.0.0.1',
  serverPort: process.env.APP_PORT,
  communicationProtocol: CommunicationProtocolEnum.HTTP,
  clientOptions: { daprHost: '127.0.0.1', daprPort: process.env.DAPR_HTTP_PORT },
  logger: { level: LogLevel.Error },
});

function record(topic, data) {
  const id = typeof data === 'object' && data !== null ? data.id : String(data);
  if (process.env.LEDGER) appendFileSync(process.env.LEDGER, `${id}\n`);
  received.push({ topic, data });
}

for (const topic of (process.env.TOPICS ?? '').split(',').filter(Boolean)) {
  await server.pubsub.subscribe(pubsub, topic, async (data) => record(topic, data));
}
if (process.env.BULK_TOPIC) {
  await server.pubsub.subscribeBulk(pubsub, process.env.BULK_TOPIC, async (data) => record(process.env.BULK_TOPIC, data), { maxMessagesCount: 20, maxAwaitDurationMs: 100 });
}
await server.invoker.listen('received', async () => received, { method: HttpMethod.GET });
await server.start();
console.log('sdk subscriber started');
