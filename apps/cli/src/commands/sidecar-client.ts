import { request } from 'node:http';

export interface HttpResult {
  readonly status: number;
  readonly body: string;
}

/**
 * One small HTTP call to a local sidecar. node:http with `agent: false` (one connection, closed
 * afterwards) rather than fetch, so short-lived commands such as `list` do not linger on pooled
 * keep-alive sockets.
 * @throws Error on connection failure or when `timeoutMs` passes.
 */
export function sidecarRequest(port: number, method: string, path: string, options: { body?: string; timeoutMs?: number; headers?: Record<string, string> } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const req = request({
      host: '127.0.0.1', port, method, path, agent: false, timeout: options.timeoutMs ?? 2_000,
      headers: { ...apiTokenHeader(), ...options.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from 127.0.0.1:${port} within ${options.timeoutMs ?? 2_000} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The sidecar refuses API calls without the token when `DAPR_API_TOKEN` is set; it inherits our env, so we send ours. */
function apiTokenHeader(): Record<string, string> {
  const token = process.env.DAPR_API_TOKEN;
  return token ? { 'dapr-api-token': token } : {};
}

/** `GET /v1.0/healthz/outbound` answers 204 once components are up and the API serves (the app need not be). */
export async function isOutboundReady(port: number): Promise<boolean> {
  try {
    return (await sidecarRequest(port, 'GET', '/v1.0/healthz/outbound', { timeoutMs: 1_000 })).status === 204;
  } catch {
    return false;
  }
}

/** `PUT /v1.0/metadata/<key>`, the custom metadata dapr run stores for `list` and `stop`. @throws Error when not 2xx. */
export async function putMetadata(port: number, key: string, value: string): Promise<void> {
  const result = await sidecarRequest(port, 'PUT', `/v1.0/metadata/${encodeURIComponent(key)}`, {
    body: value, timeoutMs: 2_000, headers: { 'content-type': 'text/plain' },
  });
  if (result.status < 200 || result.status >= 300) throw new Error(`PUT metadata ${key}: HTTP ${result.status} ${result.body}`);
}

/** The `extended` map of `GET /v1.0/metadata`, or undefined when the sidecar does not answer in time. */
export async function extendedMetadata(port: number, timeoutMs = 1_000): Promise<Record<string, string> | undefined> {
  try {
    const result = await sidecarRequest(port, 'GET', '/v1.0/metadata', { timeoutMs });
    if (result.status !== 200) return undefined;
    const body = JSON.parse(result.body) as { extended?: Record<string, unknown> };
    return Object.fromEntries(Object.entries(body.extended ?? {}).map(([key, value]) => [key, String(value)]));
  } catch {
    return undefined;
  }
}
