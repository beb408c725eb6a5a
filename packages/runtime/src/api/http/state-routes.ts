// Dapr state API over HTTP: https://docs.dapr.io/reference/api/state_api/
import { daprError } from '@outrigger/kit';
import type { StateQuery } from '@outrigger/components-api';
import type { RawStateOptions, SaveItem, StateApi } from '../../blocks/state/state-api.js';
import { metadataHeaders, queryMetadata, readJson, sendBytes, sendEmpty } from './http-io.js';
import type { RequestContext, RouteDefinition } from './route-types.js';

const v1 = ['v1.0'];

export function stateRoutes(state: StateApi): RouteDefinition[] {
  return [
    { methods: ['POST', 'PUT'], path: '/state/:storeName', versions: v1, handler: (context) => save(state, context) },
    { methods: ['GET'], path: '/state/:storeName/:key', versions: v1, handler: (context) => get(state, context) },
    { methods: ['DELETE'], path: '/state/:storeName/:key', versions: v1, handler: (context) => remove(state, context) },
    { methods: ['POST', 'PUT'], path: '/state/:storeName/bulk', versions: v1, handler: (context) => bulkGet(state, context) },
    { methods: ['POST', 'PUT'], path: '/state/:storeName/transaction', versions: v1, handler: (context) => transaction(state, context) },
    { methods: ['POST', 'PUT'], path: '/state/:storeName/query', versions: ['v1.0-alpha1'], handler: (context) => query(state, context) },
  ];
}

function storeName(context: RequestContext): string {
  return context.params.storeName ?? '';
}

async function save(state: StateApi, context: RequestContext): Promise<void> {
  state.resolve(storeName(context));
  const body = await readJson(context.req, context.maxBodyBytes);
  if (!Array.isArray(body)) throw daprError('malformedRequest', 'expected a JSON array of state items');
  const fromQuery = queryMetadata(context.query);
  const items = body.map((raw, index) => toSaveItem(raw, `[${index}]`, fromQuery));
  if (items.length > 0) await state.save(storeName(context), items);
  sendEmpty(context.res);
}

async function get(state: StateApi, context: RequestContext): Promise<void> {
  const key = context.params.key ?? '';
  const found = await state.get(storeName(context), key, queryMetadata(context.query), context.query.get('consistency') ?? undefined);
  if (!found) {
    sendEmpty(context.res);
    return;
  }
  sendBytes(context.res, 200, found.value, { etag: found.etag, ...metadataHeaders(found.metadata) });
}

async function remove(state: StateApi, context: RequestContext): Promise<void> {
  const options = { concurrency: context.query.get('concurrency') ?? undefined, consistency: context.query.get('consistency') ?? undefined };
  const ifMatch = context.req.headers['if-match'];
  await state.delete(storeName(context), context.params.key ?? '', typeof ifMatch === 'string' ? ifMatch : undefined, queryMetadata(context.query), options);
  sendEmpty(context.res);
}

async function bulkGet(state: StateApi, context: RequestContext): Promise<void> {
  state.resolve(storeName(context));
  const body = await readJson(context.req, context.maxBodyBytes);
  if (!isRecord(body) || !Array.isArray(body.keys) || !body.keys.every((key) => typeof key === 'string')) {
    throw daprError('malformedRequest', 'expected {"keys": [string, ...]}');
  }
  const parallelism = typeof body.parallelism === 'number' ? body.parallelism : 0;
  const metadata = { ...stringRecord(body.metadata, 'metadata'), ...queryMetadata(context.query) };
  const items = await state.bulkGet(storeName(context), body.keys as string[], parallelism, metadata);
  // Values are embedded as raw JSON, as daprd does, so they are not parsed and re-encoded.
  const parts = items.map((item) => {
    if (item.error !== undefined) return JSON.stringify({ key: item.key, error: item.error });
    if (!item.state) return JSON.stringify({ key: item.key });
    const head = JSON.stringify({ key: item.key, etag: item.state.etag, ...(item.state.metadata ? { metadata: item.state.metadata } : {}) });
    return `${head.slice(0, -1)},"data":${jsonText(item.state.value)}}`;
  });
  const payload = `[${parts.join(',')}]\n`;
  context.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  context.res.end(payload);
}

async function transaction(state: StateApi, context: RequestContext): Promise<void> {
  const name = storeName(context);
  const { store } = state.resolve(name);
  if (typeof (store as { transact?: unknown }).transact !== 'function') throw daprError('stateTransactionUnsupported', name);
  const body = await readJson(context.req, context.maxBodyBytes);
  if (!isRecord(body)) throw daprError('malformedRequest', 'expected {"operations": [...]}');
  const operations = body.operations ?? [];
  if (!Array.isArray(operations)) throw daprError('malformedRequest', '"operations" must be an array');
  const metadata = { ...stringRecord(body.metadata, 'metadata'), ...queryMetadata(context.query) };
  const parsed = operations.map((operation, index) => {
    if (!isRecord(operation) || typeof operation.operation !== 'string') throw daprError('malformedRequest', `operations[${index}]: "operation" must be a string`);
    return { operation: operation.operation, item: toSaveItem(operation.request ?? {}, `operations[${index}].request`, {}) };
  });
  await state.transact(name, parsed, metadata);
  sendEmpty(context.res);
}

async function query(state: StateApi, context: RequestContext): Promise<void> {
  const name = storeName(context);
  state.resolve(name);
  const body = await readJson(context.req, context.maxBodyBytes).catch((error: unknown) => {
    throw daprError('stateQuery', name, `failed to parse JSON query body: ${(error as Error).message}`);
  });
  if (!isRecord(body)) throw daprError('stateQuery', name, 'failed to parse JSON query body: expected an object');
  const result = await state.query(name, body as StateQuery);
  if (result.results.length === 0) {
    sendEmpty(context.res);
    return;
  }
  const results = result.results.map((item) => `{"key":${JSON.stringify(item.key)},"data":${jsonText(item.value)},"etag":${JSON.stringify(item.etag)}}`);
  const token = result.token === undefined ? '' : `,"token":${JSON.stringify(result.token)}`;
  const payload = `{"results":[${results.join(',')}]${token}}`;
  context.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  context.res.end(payload);
}

/** Stored bytes as JSON text: as they are when they are JSON, else as a JSON string of their base64. */
function jsonText(value: Uint8Array): string {
  const text = Buffer.from(value).toString('utf8');
  try {
    JSON.parse(text);
    return text;
  } catch {
    return JSON.stringify(Buffer.from(value).toString('base64'));
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringRecord(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw daprError('malformedRequest', `"${field}" must be an object of strings`);
  const record: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw daprError('malformedRequest', `"${field}.${key}" must be a string`);
    record[key] = item;
  }
  return record;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw daprError('malformedRequest', `"${field}" must be a string`);
  return value;
}

/** Decodes one wire item. Values are stored as their JSON encoding, as daprd stores HTTP values. */
function toSaveItem(raw: unknown, where: string, queryMeta: Record<string, string>): SaveItem {
  if (!isRecord(raw)) throw daprError('malformedRequest', `${where}: expected an object`);
  if (raw.key !== undefined && typeof raw.key !== 'string') throw daprError('malformedRequest', `${where}.key must be a string`);
  if (typeof raw.key !== 'string' || raw.key === '') throw daprError('stateKeyMissing');
  const options = raw.options === undefined || raw.options === null ? undefined : raw.options;
  if (options !== undefined && !isRecord(options)) throw daprError('malformedRequest', `${where}.options must be an object`);
  const rawOptions: RawStateOptions | undefined = options
    ? { concurrency: optionalString(options.concurrency, `${where}.options.concurrency`), consistency: optionalString(options.consistency, `${where}.options.consistency`) }
    : undefined;
  return {
    key: raw.key,
    value: Buffer.from(JSON.stringify(raw.value === undefined ? null : raw.value), 'utf8'),
    etag: optionalString(raw.etag, `${where}.etag`),
    metadata: { ...stringRecord(raw.metadata, `${where}.metadata`), ...queryMeta },
    options: rawOptions,
  };
}
