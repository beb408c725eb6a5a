// An app built on the official SDK's DaprServer (HTTP mode) that receives the input binding named
// $BINDING and keeps what arrived; GET /received returns the bodies in arrival order.
import { CommunicationProtocolEnum, DaprServer, HttpMethod, LogLevel } from '@dapr/dapr';

const received = [];
const server = new DaprServer({
  serverHost: '127.0.0.1',
  serverPort: process.env.APP_PORT,
  communicationProtocol: CommunicationProtocolEnum.HTTP,
  clientOptions: { daprHost: '127.0.0.1', daprPort: process.env.DAPR_HTTP_PORT },
  logger: { level: LogLevel.Error },
});
await server.binding.receive(process.env.BINDING ?? 'mybinding', async (body) => {
  received.push(body);
});
await server.invoker.listen('received', async () => received, { method: HttpMethod.GET });
await server.start();
console.log('binding receiver started');
