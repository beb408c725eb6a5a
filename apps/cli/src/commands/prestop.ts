import { Command } from 'commander';
import { prestopPath } from '@outrigger/runtime';

/**
 * `outrigger prestop`: for a Kubernetes preStop hook (exec). Asks the local sidecar to drain the
 * app's inbound work and returns once the drain is over, so the kubelet sends SIGTERM only then.
 */
export function prestopCommand(): Command {
  return new Command('prestop')
    .description('Drain the local sidecar\'s inbound work (for a Kubernetes preStop hook); returns when the drain is over')
    .option('--dapr-http-port <port>', 'HTTP port of the sidecar (default: $DAPR_HTTP_PORT, else 3500)')
    .option('--timeout <seconds>', 'how long to wait for the drain at most', '120')
    .action(async (options: { daprHttpPort?: string; timeout: string }) => {
      const port = Number(options.daprHttpPort ?? process.env.DAPR_HTTP_PORT ?? 3500);
      const timeoutMs = Number(options.timeout) * 1000;
      if (!Number.isInteger(port) || port <= 0 || !(timeoutMs > 0)) {
        process.stderr.write('outrigger prestop: --dapr-http-port and --timeout must be positive numbers\n');
        process.exit(2);
      }
      try {
        // Imported here so that the sidecar command does not load the HTTP client.
        const { sidecarRequest } = await import('./sidecar-client.js');
        const result = await sidecarRequest(port, 'POST', prestopPath, { timeoutMs });
        process.stdout.write(`${result.body}\n`);
        process.exit(result.status >= 200 && result.status <= 299 ? 0 : 1);
      } catch (error) {
        process.stderr.write(`outrigger prestop: ${(error as Error).message}\n`);
        process.exit(1);
      }
    });
}
