import { createServer, type Server } from 'node:net';

/**
 * Picks `count` distinct free TCP ports the way the dapr CLI does (listen on port 0, read the port,
 * close). All listeners are held open until every port is known so two picks never coincide; the
 * window between closing and the sidecar binding is the same small race dapr accepts.
 */
export async function freePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let index = 0; index < count; index++) {
      const server = createServer();
      servers.push(server);
      ports.push(await new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, host, () => {
          const address = server.address();
          if (address === null || typeof address === 'string') reject(new Error('no port assigned'));
          else resolve(address.port);
        });
      }));
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}
