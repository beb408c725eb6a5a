// An app built on the official SDK's DaprServer (HTTP mode): answers invocations and uses
// its own sidecar's state API through the DaprClient the server carries.
import { DaprServer, HttpMethod, CommunicationProtocolEnum } from '@dapr/dapr';

const server = new DaprServer({
  serverHost: '127.0.0.1',
  serverPort: process.env.APP_PORT,
  communicationProtocol: CommunicationProtocolEnum.HTTP,
  clientOptions: { daprHost: '127.0.0.1', daprPort: process.env.DAPR_HTTP_PORT },
});

await server.invoker.listen('greet', async ({ body, headers }) => {
  const { name } = JSON.parse(body ?? '{}');
  return { greeting: `hello ${name}`, caller: headers['dapr-caller-app-id'] ?? null, app: process.env.APP_ID };
}, { method: HttpMethod.POST });

await server.invoker.listen('remember', async ({ body }) => {
  const { key, value } = JSON.parse(body ?? '{}');
  await server.client.state.save('statestore', [{ key, value }]);
  return { stored: await server.client.state.get('statestore', key) };
}, { method: HttpMethod.POST });

await server.start();
console.log('sdk server app started');
