// Publishes $COUNT messages {id: "<prefix>-<n>"} to $PUBSUB/$TOPIC through its sidecar with the
// official SDK, then exits 0 (non-zero on any failed publish).
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';

const client = new DaprClient({
  daprHost: '127.0.0.1', daprPort: process.env.DAPR_HTTP_PORT, communicationProtocol: CommunicationProtocolEnum.HTTP, logger: { level: LogLevel.Error },
});
const count = Number(process.env.COUNT ?? 100);
const prefix = process.env.PREFIX ?? 'm';
for (let n = 0; n < count; n++) {
  const result = await client.pubsub.publish(process.env.PUBSUB ?? 'pubsub', process.env.TOPIC ?? 'orders', { id: `${prefix}-${n}` });
  if (result.error) {
    console.error(`publish ${n} failed: ${result.error}`);
    process.exit(1);
  }
}
console.log(`published ${count}`);
