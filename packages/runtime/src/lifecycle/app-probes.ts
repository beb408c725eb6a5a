import { probeRequest } from '../app-channel/lazy-agent.js';

/** Where the app listens, for probes that go around the app channel. */
export interface AppAddress {
  readonly host: string;
  readonly port: number;
  readonly appApiToken: string | undefined;
}

function origin(address: AppAddress): string {
  return `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}

function headers(address: AppAddress): Record<string, string> {
  return address.appApiToken ? { 'dapr-api-token': address.appApiToken } : {};
}

/** `GET <path>` answered 2xx: the app health check and the readiness path. */
export async function probeHttpPath(address: AppAddress, path: string, signal: AbortSignal): Promise<boolean> {
  const response = await probeRequest(new URL(path, origin(address)), { headers: headers(address), signal });
  await response.body.dump();
  return response.statusCode >= 200 && response.statusCode <= 299;
}

/**
 * Asks the app's busy endpoint (`GET <path>` answering `{"busy": true|false}`) whether work is
 * still going on. An answer that cannot be read counts as busy, so a drain never ends early on a
 * misbehaving endpoint (the grace period still bounds it); a refused connection counts as not busy.
 */
export async function probeBusy(address: AppAddress, path: string, signal: AbortSignal): Promise<boolean> {
  try {
    const response = await probeRequest(new URL(path, origin(address)), { headers: headers(address), signal });
    const text = await response.body.text();
    if (response.statusCode < 200 || response.statusCode > 299) return true;
    const parsed = JSON.parse(text) as { busy?: unknown };
    return parsed.busy !== false;
  } catch (error) {
    // A refused connection means the app is gone, so nothing of it can still be in flight.
    const failure = error as { code?: string; cause?: { code?: string } };
    return failure.code !== 'ECONNREFUSED' && failure.cause?.code !== 'ECONNREFUSED';
  }
}
