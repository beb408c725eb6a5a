// An app built on the official SDK's DaprServer (HTTP mode) that receives the `mycron` input binding.
// It refuses the first event (the SDK answers 500 when the callback throws) and accepts the others;
// GET /cron-events reports what it saw.
import { DaprServer, HttpMethod, CommunicationProtocolEnum } from '@dapr/dapr';

const server = new DaprServer({
  serverHost: '127.0.0.1',
  serverPort: process.env.APP_PORT,
  communicationProtocol: CommunicationProtocolEnum.HTTP,
  clientOptions: { daprHost: '127.0.0.1', daprPort: process.env.DAPR_HTTP_PORT },
});

let refused = 0;
const accepted = [];

await server.binding.receive('mycron', async (body) => {
  if (refused === 0) {
    refused++;
    throw new Error('not ready for the first tick');
  }
  accepted.push({ at: Date.now(), body });
});

await server.invoker.listen('cron-events', async () => ({ refused, accepted }), { method: HttpMethod.GET });

await server.start();
console.log('bindings sdk app started');
