import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage, isDaprError, type Logger } from '@outrigger/kit';
import { callerHeaders, type InvokeService } from '../blocks/invoke/invoke-service.js';
import { sendError } from '../api/http/http-io.js';

/**
 * The sidecar-to-sidecar server: another sidecar forwards invocations for this app here, with the
 * caller's identity in `dapr-caller-app-id` / `dapr-caller-namespace`; the call goes on to the app.
 * It listens on loopback only until mTLS exists, so only sidecars on this machine can reach it.
 */
export class InternalServer {
  private server: Server | undefined;

  constructor(private readonly invoke: InvokeService, private readonly logger: Logger) {}

  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
      const caller = String(req.headers[callerHeaders.appId] ?? '');
      const namespace = String(req.headers[callerHeaders.namespace] ?? '');
      this.invoke.invokeLocal(req, res, req.url ?? '/', caller, namespace).catch((error: unknown) => {
        if (!isDaprError(error)) this.logger.warn(`internal invocation from ${caller} failed: ${errorMessage(error)}`);
        if (!req.complete) req.resume();
        sendError(res, error);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host }, () => resolve());
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  }

  closeAllConnections(): void {
    this.server?.closeAllConnections();
  }
}
