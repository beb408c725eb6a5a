import type { ClientSessionOptions } from 'node:http2';
import { connect } from 'node:net';

/**
 * Options for `http2.connect` to a cleartext (h2c) origin with Nagle's algorithm off. node:http2 leaves
 * it on for the connections it opens, and a call's frames go out in separate writes (HEADERS, then DATA):
 * the second would wait for the peer's delayed ACK, up to 40 ms on Linux.
 */
export function h2cSessionOptions(origin: string): ClientSessionOptions {
  const { hostname, port } = new URL(origin);
  // A URL keeps an IPv6 host in brackets; the socket wants it bare.
  const host = hostname.replace(/^\[|\]$/g, '');
  return { createConnection: () => connect({ host, port: Number(port), noDelay: true }) };
}
