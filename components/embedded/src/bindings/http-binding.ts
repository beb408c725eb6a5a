import { readFile } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import type { Agent, Dispatcher, request } from 'undici';
import {
  BindingInvokeError, metadataValue, parseBoolean,
  type BindingInvokeRequest, type BindingInvokeResponse, type ComponentContext, type MetadataField, type OutputBinding,
} from '@outrigger/components-api';
import { parseDuration } from '@outrigger/kit';

/** `bindings.http` metadata, as Dapr documents it (`MTLSRenegotiation` has no Node equivalent and is not read). */
export const httpBindingMetadata: readonly MetadataField[] = [
  { name: 'url', required: true, description: 'Base URL; request metadata `path` is appended to it' },
  { name: 'responseTimeout', kind: 'duration', description: 'Longest wait for the whole answer; none by default' },
  { name: 'maxResponseBodySize', default: '100Mi', description: 'Largest answer body read (bytes, or a quantity such as 10Mi); the rest is cut off. 0 or less: no limit' },
  { name: 'errorIfNot2XX', kind: 'boolean', default: 'true', description: 'Whether a non-2xx answer is an error; request metadata of the same name wins' },
  { name: 'securityToken', description: 'Token sent in the header `securityTokenHeader` names' },
  { name: 'securityTokenHeader', description: 'Header that carries `securityToken`' },
  { name: 'MTLSRootCA', description: 'CA certificate (PEM text or file path) to trust for https' },
  { name: 'MTLSClientCert', description: 'Client certificate (PEM text or file path) for mutual TLS' },
  { name: 'MTLSClientKey', description: 'Client key (PEM text or file path) for mutual TLS' },
  { name: 'direction', description: 'Direction of the binding (`output`)' },
];

const defaultMaxResponseBytes = 100 * 1024 * 1024;
const methodsWithBody = new Set(['POST', 'PUT', 'PATCH']);
const methodsWithoutBody = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE']);
/** Headers the connection owns; taking them from metadata would break the request. */
const connectionHeaders = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'keep-alive', 'upgrade']);
const traceKeys = ['traceparent', 'tracestate', 'baggage'];

/**
 * Output binding that makes an HTTP call per invocation (`bindings.http`). The operation is the
 * method (`create` is POST); metadata keys that start with a capital letter become request headers,
 * as in Dapr. The answer's status and headers come back as response metadata (`statusCode`, `status`,
 * `Content-Type`, ...), also when the call counts as failed.
 */
export class HttpBinding implements OutputBinding {
  private url = '';
  private timeoutMs: number | undefined;
  private maxResponseBytes = defaultMaxResponseBytes;
  private errorIfNot2XX = true;
  private securityHeader: [string, string] | undefined;
  private agent: Agent | undefined;
  /** undici's `request`, loaded by init: a sidecar that has the embedded components but no HTTP binding never loads undici. */
  private send: typeof request | undefined;

  async init(context: ComponentContext): Promise<void> {
    const { metadata } = context;
    const url = metadataValue(metadata, 'url') ?? '';
    try {
      new URL(url);
    } catch {
      throw new Error(`url ${JSON.stringify(url)} is not an absolute URL`);
    }
    this.url = url;
    const timeout = metadataValue(metadata, 'responseTimeout');
    this.timeoutMs = timeout ? parseDuration(timeout) : undefined;
    const maxSize = metadataValue(metadata, 'maxResponseBodySize');
    if (maxSize) this.maxResponseBytes = parseByteSize(maxSize);
    this.errorIfNot2XX = parseBoolean(metadataValue(metadata, 'errorIfNot2XX') || 'true') ?? true;
    const token = metadataValue(metadata, 'securityToken');
    const tokenHeader = metadataValue(metadata, 'securityTokenHeader');
    if (token && tokenHeader) this.securityHeader = [tokenHeader, token];
    const [ca, cert, key] = await Promise.all(['MTLSRootCA', 'MTLSClientCert', 'MTLSClientKey'].map((name) => pem(metadataValue(metadata, name))));
    const undici = await import('undici');
    this.send = undici.request;
    this.agent = new undici.Agent({ connect: { ...(ca ? { ca } : {}), ...(cert && key ? { cert, key } : {}) } });
  }

  async close(): Promise<void> {
    await this.agent?.close();
    this.agent = undefined;
  }

  operations(): readonly string[] {
    return ['create', 'get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace'];
  }

  async invoke(request: BindingInvokeRequest): Promise<BindingInvokeResponse> {
    const metadata = request.metadata;
    const method = request.operation === 'create' ? 'POST' : request.operation.toUpperCase();
    if (!methodsWithBody.has(method) && !methodsWithoutBody.has(method)) throw new Error(`invalid operation: ${request.operation}`);
    const path = metadata.path;
    const url = path ? `${this.url.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}` : this.url;
    const errorIfNot2XX = metadata.errorIfNot2XX ? parseBoolean(metadata.errorIfNot2XX) ?? false : this.errorIfNot2XX;
    const hasBody = methodsWithBody.has(method);
    const signal = this.timeoutMs === undefined ? undefined : AbortSignal.timeout(this.timeoutMs);
    let response: Dispatcher.ResponseData;
    let body: Buffer;
    try {
      if (!this.send) throw new Error('the binding is not initialised');
      response = await this.send(url, {
        method: method as Dispatcher.HttpMethod, headers: this.headers(metadata, hasBody), body: hasBody ? request.data : null,
        dispatcher: this.agent, ...(signal ? { signal } : {}),
      });
      body = await readLimited(response.body, this.maxResponseBytes);
    } catch (error) {
      if (signal?.aborted) throw new Error(`no answer from ${url} within ${this.timeoutMs} ms (responseTimeout)`, { cause: error });
      throw error;
    }
    const responseMetadata = toMetadata(response);
    if (errorIfNot2XX && Math.floor(response.statusCode / 100) !== 2) {
      throw new BindingInvokeError(`received status code ${response.statusCode}`, responseMetadata);
    }
    return { data: body, metadata: responseMetadata };
  }

  private headers(metadata: Readonly<Record<string, string>>, hasBody: boolean): Record<string, string> {
    const headers: Record<string, string> = {};
    if (hasBody && !('Content-Type' in metadata)) headers['content-type'] = 'application/json; charset=utf-8';
    if (!('Accept' in metadata)) headers.accept = 'application/json; charset=utf-8';
    if (this.securityHeader) headers[this.securityHeader[0].toLowerCase()] = this.securityHeader[1];
    for (const [key, value] of Object.entries(metadata)) {
      const first = key.charCodeAt(0);
      if (first >= 65 && first <= 90 && !connectionHeaders.has(key.toLowerCase())) headers[key.toLowerCase()] = value;
    }
    for (const key of traceKeys) {
      if (metadata[key]) headers[key] = metadata[key];
    }
    return headers;
  }
}

/** Reads at most `limit` bytes (no limit when 0 or less) and drops the rest, as Dapr's LimitReader does. */
async function readLimited(body: Dispatcher.ResponseData['body'], limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const room = limit > 0 ? limit - size : chunk.length;
    chunks.push(room < chunk.length ? chunk.subarray(0, room) : chunk);
    size += Math.min(room, chunk.length);
    if (limit > 0 && size >= limit) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks);
}

/** Status and headers as Dapr reports them: Go's canonical header names, repeated values joined with ", ". */
function toMetadata(response: Dispatcher.ResponseData): Record<string, string> {
  const metadata: Record<string, string> = {
    statusCode: String(response.statusCode),
    status: `${response.statusCode} ${STATUS_CODES[response.statusCode] ?? ''}`.trim(),
  };
  for (const [name, value] of Object.entries(response.headers)) {
    if (value === undefined) continue;
    metadata[canonicalHeader(name)] = Array.isArray(value) ? value.join(', ') : value;
  }
  return metadata;
}

function canonicalHeader(name: string): string {
  return name.split('-').map((part) => part.charAt(0).toUpperCase() + part.slice(1).toLowerCase()).join('-');
}

const byteUnits: Readonly<Record<string, number>> = { '': 1, k: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

/** A byte count written as Dapr writes quantities: `1048576`, `512Ki`, `100Mi`. */
export function parseByteSize(text: string): number {
  const match = /^(-?\d+(?:\.\d+)?)\s*(|k|M|G|Ki|Mi|Gi)$/.exec(text.trim());
  if (!match) throw new Error(`invalid value for maxResponseBodySize: "${text}" is not a size such as 10Mi`);
  return Math.floor(Number(match[1]) * (byteUnits[match[2] as string] ?? 1));
}

/** PEM text as given, or read from the file the value names. */
async function pem(value: string | undefined): Promise<string | undefined> {
  if (!value) return undefined;
  if (value.includes('-----BEGIN')) return value;
  return readFile(value, 'utf8');
}
