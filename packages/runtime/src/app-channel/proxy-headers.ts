import type { IncomingHttpHeaders } from 'node:http';

/**
 * Headers that belong to one connection and must not be forwarded by a proxy (RFC 9110 §7.6.1), and
 * `expect`: Node's server has already answered a `100-continue` to the caller, so the expectation ends
 * at the sidecar (undici refuses to send it, and the call would fail).
 */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate', 'host', 'expect']);

/**
 * Copies request or response headers for forwarding: drops hop-by-hop headers and the ones
 * named in `drop` (for example `dapr-api-token`, which never leaves the sidecar).
 */
export function forwardableHeaders(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>, drop: readonly string[] = []): Record<string, string | string[]> {
  // Runs twice per invocation on each sidecar: no intermediate arrays, and the Connection header is only
  // parsed when it names more than the usual keep-alive/close.
  const connection = headers.connection;
  const connectionListed = connection === undefined || connection === 'keep-alive' || connection === 'close' ? undefined
    : String(connection).toLowerCase().split(',').map((name) => name.trim()).filter(Boolean);
  const result: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (hopByHop.has(lower) || drop.includes(lower) || connectionListed?.includes(lower)) continue;
    result[lower] = value;
  }
  return result;
}
