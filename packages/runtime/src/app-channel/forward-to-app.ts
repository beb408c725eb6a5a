import type { IncomingMessage, ServerResponse } from 'node:http';
import { splitTarget } from '@outrigger/kit';
import type { AppChannel, CallerIdentity } from './app-channel.js';
import { relayAnswer, smallOrStreamedBody } from './http-forwarder.js';
import { forwardableHeaders } from './proxy-headers.js';

/**
 * Hands an incoming HTTP invocation to the app through its channel and streams the answer back:
 * status, headers and body as the channel gives them (hop-by-hop headers dropped both ways).
 * @param pathAndQuery the method path with its query string, starting with `/`
 * @param dropHeaders headers that stop at the sidecar (API token, routing and caller headers)
 * @throws the channel's error, or StreamTooLargeError, before any byte of the answer is written
 */
export async function forwardToApp(
  channel: AppChannel, req: IncomingMessage, res: ServerResponse, pathAndQuery: string, identity: CallerIdentity, dropHeaders: readonly string[], maxBodyBytes: number,
): Promise<void> {
  const verb = req.method ?? 'GET';
  const { path, query } = splitTarget(pathAndQuery);
  const response = await channel.invokeMethod({
    verb,
    path,
    query,
    headers: forwardableHeaders(req.headers, dropHeaders),
    body: await smallOrStreamedBody(req, verb, maxBodyBytes),
    identity,
  });
  await relayAnswer(response.status, response.headers, response.body, res, maxBodyBytes);
}
