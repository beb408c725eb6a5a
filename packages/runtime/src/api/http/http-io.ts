import type { IncomingMessage, ServerResponse } from 'node:http';
import { DaprError, daprError, type ErrorKind } from '@outrigger/kit';

/** Thrown while reading a body that passes the size limit; Dapr's message for it is "stream too large". */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super('stream too large');
    this.name = 'BodyTooLargeError';
  }
}

/**
 * Reads a whole request body, refusing more than `limit` bytes. A declared Content-Length over
 * the limit is refused before reading, so a huge body is never buffered.
 * @throws BodyTooLargeError
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? -1);
  if (declared > limit) {
    req.resume();
    throw new BodyTooLargeError(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw new BodyTooLargeError(limit);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

/**
 * Reads and parses a JSON body. Body and parse failures become the given Dapr error kind
 * with the parser's message, as daprd reports them.
 * @throws DaprError
 */
export async function readJson(req: IncomingMessage, limit: number, kind: ErrorKind = 'malformedRequest'): Promise<unknown> {
  let body: Buffer;
  try {
    body = await readBody(req, limit);
  } catch (error) {
    throw daprError(kind, error instanceof Error ? error.message : String(error));
  }
  try {
    return JSON.parse(body.length === 0 ? '' : body.toString('utf8'));
  } catch (error) {
    throw daprError(kind, body.length === 0 ? 'EOF' : (error as Error).message);
  }
}

/** `?metadata.k=v` query parameters as a metadata map (prefix stripped, first value wins). */
export function queryMetadata(query: URLSearchParams): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of query) {
    if (name.startsWith('metadata.') && name.length > 'metadata.'.length) {
      const key = name.slice('metadata.'.length);
      if (!(key in metadata)) metadata[key] = value;
    }
  }
  return metadata;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers });
  res.end(payload);
}

/** Raw bytes, sent as JSON as daprd does for state values. */
export function sendBytes(res: ServerResponse, status: number, body: Uint8Array, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.byteLength, ...headers });
  res.end(body);
}

export function sendEmpty(res: ServerResponse, status = 204, headers: Record<string, string> = {}): void {
  res.writeHead(status, headers);
  res.end();
}

/** Writes any error as Dapr's error JSON; errors that are not DaprErrors become 500 ERR_INTERNAL. */
export function sendError(res: ServerResponse, error: unknown): void {
  const dapr = error instanceof DaprError ? error : daprError('internal', error instanceof Error ? error.message : String(error));
  if (res.headersSent) {
    res.destroy(dapr);
    return;
  }
  sendJson(res, dapr.httpStatus, dapr);
}

/** Response metadata as `metadata.<k>` headers, as daprd sends it. */
export function metadataHeaders(metadata: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata ?? {})) headers[`metadata.${key}`] = value;
  return headers;
}
