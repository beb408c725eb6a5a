// Dapr service invocation over HTTP: https://docs.dapr.io/reference/api/service_invocation_api/
import type { IncomingMessage, ServerResponse } from 'node:http';
import { daprError } from '@outrigger/kit';
import type { InvokeService } from '../../blocks/invoke/invoke-service.js';

// The target ends at the first `/method`, as daprd cuts it: a URL target (`http://host:port`) holds slashes.
const invokePath = /^\/v1\.0\/invoke\/([^?]+?)\/method(\/[^?]*)?(\?.*)?$/;

/** The parts of an invocation request target `/v1.0/invoke/{target}/method{/method...}{?query}`. */
export interface InvocationParts {
  /** Percent-decoded (a URL target may come encoded: `http%3A%2F%2Fhost`); kept as sent when an escape is malformed, as daprd does. */
  readonly target: string;
  /** The method path from its leading `/` as sent, undefined for a bare `.../method`. */
  readonly method: string | undefined;
  /** `?` and the query string as sent, or empty. */
  readonly query: string;
}

/** Cuts an invocation path as the API does (also used by tracing and API logging to name the call); undefined for any other path. */
export function invocationParts(url: string): InvocationParts | undefined {
  const match = invokePath.exec(url);
  return match ? { target: decodedTarget(match[1] as string), method: match[2], query: match[3] ?? '' } : undefined;
}

/**
 * Handles `/v1.0/invoke/{target}/method/{method...}` (an app id, an HTTPEndpoint's name or a URL) and, for any other path the router does not
 * know, the `dapr-app-id` header form (or Basic auth with user `dapr-app-id`), as daprd does.
 * The method and query string are taken from the raw URL so their encoding is kept.
 * @throws DaprError when no app id can be found
 */
export async function handleInvocation(invoke: InvokeService, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  const parts = invocationParts(url);
  if (parts?.method !== undefined) {
    await invoke.invoke(req, res, parts.target, `${parts.method}${parts.query}`);
    return;
  }
  const target = headerAppId(req);
  if (!target) throw daprError('directInvokeNoAppId');
  await invoke.invoke(req, res, target, url);
}

function decodedTarget(raw: string): string {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
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
