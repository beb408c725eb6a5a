// Dapr secrets API over HTTP: https://docs.dapr.io/reference/api/secrets_api/
import type { SecretsApi } from '../../blocks/secrets/secrets-api.js';
import { queryMetadata, sendEmpty, sendJson } from './http-io.js';
import type { RequestContext, RouteDefinition } from './route-types.js';

const v1 = ['v1.0'];

/**
 * `GET /v1.0/secrets/{store}/bulk` and `GET /v1.0/secrets/{store}/{key}`. As in daprd, the static
 * `bulk` segment wins, so a secret named "bulk" can only be read through the bulk API.
 */
export function secretsRoutes(secrets: SecretsApi): RouteDefinition[] {
  return [
    { methods: ['GET'], path: '/secrets/:storeName/bulk', versions: v1, handler: (context) => bulkGet(secrets, context) },
    { methods: ['GET'], path: '/secrets/:storeName/:key', versions: v1, handler: (context) => get(secrets, context) },
  ];
}

/** 200 with `{"<key>": "<value>", ...}`; 204 when the store has no data for the secret. */
async function get(secrets: SecretsApi, context: RequestContext): Promise<void> {
  const data = await secrets.get(context.params.storeName ?? '', context.params.key ?? '', queryMetadata(context.query));
  if (data === undefined) sendEmpty(context.res);
  else sendJson(context.res, 200, data);
}

/** 200 with `{"<secret name>": {"<key>": "<value>"}, ...}`. */
async function bulkGet(secrets: SecretsApi, context: RequestContext): Promise<void> {
  sendJson(context.res, 200, await secrets.bulkGet(context.params.storeName ?? '', queryMetadata(context.query)));
}
