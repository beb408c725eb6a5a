// The smallest Outrigger app: saves a visit counter and reads it back through the official Dapr SDK.
// Run it with `npx outrigger init && npx outrigger run --app-id hello -- node examples/hello-state/app.mjs`.
import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';

const client = new DaprClient({
  daprHost: '127.0.0.1',
  daprPort: process.env.DAPR_HTTP_PORT,
  communicationProtocol: CommunicationProtocolEnum.HTTP,
  logger: { level: LogLevel.Error },
});

const previous = Number((await client.state.get('statestore', 'visits')) || 0);
const visits = previous + 1;
const saved = await client.state.save('statestore', [{ key: 'visits', value: visits }]);
if (saved.error) throw saved.error;
const stored = await client.state.get('statestore', 'visits');
console.log(`saved visits=${visits}, read back visits=${stored}`);
if (stored !== visits) process.exit(1);
