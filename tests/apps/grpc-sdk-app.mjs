// An app built on the official SDK's DaprServer in gRPC mode (AppCallback over HTTP/2), run by
// `outrigger run --app-protocol grpc`. It answers invocations, receives topic events (plain, routed
// by rules, retried, dropped to a dead-letter topic, bulk) and cron binding events (refusing the
// first), and reports what it saw through the `seen` method. Its own DaprClient speaks HTTP.
import { CommunicationProtocolEnum, DaprPubSubStatusEnum, DaprServer, HttpMethod, LogLevel } from '@dapr/dapr';

const server = new DaprServer({
  serverHost: '127.0.0.1',
  serverPort: process.env.APP_PORT,
  communicationProtocol: CommunicationProtocolEnum.GRPC,
  clientOptions: { daprHost: '127.0.0.1', daprPort: process.env.DAPR_HTTP_PORT, communicationProtocol: CommunicationProtocolEnum.HTTP },
  logger: { level: LogLevel.Error },
});

const seen = { orders: [], important: [], normal: [], flaky: {}, dead: [], bulk: [], cron: { refused: 0, accepted: 0 } };

for (const verb of [HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.PATCH]) {
  await server.invoker.listen('echo', async ({ body, query, metadata }) => ({ verb, body, query, contentType: metadata?.contentType ?? null }), { method: verb });
}
await server.invoker.listen('nested/path', async () => ({ nested: true }), { method: HttpMethod.GET });
await server.invoker.listen('fail', async () => {
  throw new Error('the app refused');
}, { method: HttpMethod.POST });
await server.invoker.listen('seen', async () => seen, { method: HttpMethod.GET });

await server.pubsub.subscribe('pubsub', 'orders', async (data, headers) => {
  seen.orders.push({ data, headers });
});

await server.pubsub.subscribeWithOptions('pubsub', 'routed', { route: { rules: [{ match: 'event.type == "important"', path: 'important' }], default: 'normal' } });
server.pubsub.subscribeToRoute('pubsub', 'routed', 'important', async (data) => {
  seen.important.push(data);
});
server.pubsub.subscribeToRoute('pubsub', 'routed', 'normal', async (data) => {
  seen.normal.push(data);
});

// RETRY twice, then SUCCESS.
await server.pubsub.subscribe('pubsub', 'flaky', async (data) => {
  const attempts = (seen.flaky[data.id] ?? 0) + 1;
  seen.flaky[data.id] = attempts;
  return attempts < 3 ? DaprPubSubStatusEnum.RETRY : DaprPubSubStatusEnum.SUCCESS;
});

// DROP: the sidecar sends the message to the dead-letter topic, which the app also reads.
await server.pubsub.subscribeWithOptions('pubsub', 'doomed', { deadLetterTopic: 'doomed-dead', callback: async () => DaprPubSubStatusEnum.DROP });
await server.pubsub.subscribe('pubsub', 'doomed-dead', async (data) => {
  seen.dead.push(data);
});

// The SDK implements only OnBulkTopicEventAlpha1: the sidecar reaches it after the stable method's UNIMPLEMENTED.
await server.pubsub.subscribeBulk('pubsub', 'bulk', async (data) => {
  seen.bulk.push(data);
}, { maxMessagesCount: 10, maxAwaitDurationMs: 200 });

await server.binding.receive('mycron', async () => {
  if (seen.cron.refused === 0) {
    seen.cron.refused++;
    throw new Error('not ready for the first tick');
  }
  seen.cron.accepted++;
});

await server.start();
console.log('grpc sdk app started');
