import { connect } from 'node:net';
import { delay } from '@outrigger/kit';

/** Resolves once a TCP connection to host:port succeeds; polls until `signal` aborts. */
export async function waitForPort(host: string, port: number, signal: AbortSignal, intervalMs = 50): Promise<void> {
  while (!signal.aborted) {
    if (await canConnect(host, port)) return;
    await delay(intervalMs, signal).catch(() => undefined);
  }
  throw new Error(`stopped waiting for ${host}:${port}`);
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
