// Dapr service invocation over HTTP: https://docs.dapr.io/reference/api/service_invocation_api/
import type { IncomingMessage, ServerResponse } from 'node:http';
import { daprError } from '@outrigger/kit';
import type { InvokeService } from '../../blocks/invoke/invoke-service.js';

const invokePath = /^\/v1\.0\/invoke\/([^/?]+)\/method(\/[^?]*)?(\?.*)?$/;

/**
 * Handles `/v1.0/invoke/{app-id}/method/{method...}` and, for any other path the router does not
 * know, the `dapr-app-id` header form (or Basic auth with user `dapr-app-id`), as daprd does.
 * The method and query string are taken from the raw URL so their encoding is kept.
 * @throws DaprError when no app id can be found
 */
export async function handleInvocation(invoke: InvokeService, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const match = invokePath.exec(url);
  if (match && match[2] !== undefined) {
    const target = decodeURIComponent(match[1] as string);
    await invoke.invoke(req, res, target, `${match[2]}${match[3] ?? ''}`);
    return;
  }
  const target = headerAppId(req);
  if (!target) throw daprError('directInvokeNoAppId');
  await invoke.invoke(req, res, target, url);
}

function headerAppId(req: IncomingMessage): string | undefined {
  const header = req.headers['dapr-app-id'];
  if (typeof header === 'string' && header !== '') return header;
  const authorization = req.headers.authorization;
  if (typeof authorization === 'string' && authorization.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice('Basic '.length), 'base64').toString('utf8');
    const [user, password] = decoded.split(':', 2);
    if (user === 'dapr-app-id' && password) return password;
  }
  return undefined;
}
