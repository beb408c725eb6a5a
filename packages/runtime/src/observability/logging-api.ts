import type { Logger } from '@outrigger/kit';
import { invocationParts } from '../api/http/invoke-routes.js';
import type { ApiLoggingSettings } from './logging-config.js';
import type { ServedRequest } from './metrics-http-exchange.js';

/** daprd's endpoint names, logged instead of the path with `obfuscateURLs`; keyed by verb and route below the version. */
const endpointNames: ReadonlyArray<readonly [verbs: readonly string[], route: string, name: string]> = [
  [['GET'], '/state/{storeName}/{key}', 'GetState'],
  [['DELETE'], '/state/{storeName}/{key}', 'DeleteState'],
  [['POST', 'PUT'], '/state/{storeName}', 'SaveState'],
  [['POST', 'PUT'], '/state/{storeName}/bulk', 'GetBulkState'],
  [['POST', 'PUT'], '/state/{storeName}/transaction', 'ExecuteStateTransaction'],
  [['POST', 'PUT'], '/state/{storeName}/query', 'QueryStateAlpha1'],
  [['POST', 'PUT'], '/publish/{pubsubName}/*', 'PublishEvent'],
  [['POST', 'PUT'], '/publish/bulk/{pubsubName}/*', 'BulkPublishEvent'],
  [['POST', 'PUT'], '/bindings/{name}', 'InvokeBinding'],
  [['GET'], '/configuration/{storeName}', 'GetConfiguration'],
  [['GET'], '/configuration/{storeName}/subscribe', 'SubscribeConfiguration'],
  [['GET'], '/configuration/{storeName}/{subscriptionId}/unsubscribe', 'UnsubscribeConfiguration'],
  [['GET'], '/secrets/{storeName}/{key}', 'GetSecret'],
  [['GET'], '/secrets/{storeName}/bulk', 'GetBulkSecret'],
  [['POST'], '/lock/{storeName}', 'TryLock'],
  [['POST'], '/unlock/{storeName}', 'Unlock'],
  [['GET'], '/metadata', 'GetMetadata'],
  [['PUT'], '/metadata/{key}', 'PutMetadata'],
  [['POST'], '/shutdown', 'Shutdown'],
  [['GET'], '/healthz', 'Healthz'],
  [['GET'], '/healthz/outbound', 'HealthzOutbound'],
];

const healthChecks = new Set(['Healthz', 'HealthzOutbound']);

/**
 * The HTTP API log: one line per answered request, written when the response is finished, with daprd's
 * message and fields (`method`, `useragent`, `code`, `size`, `duration` in ms). The line never carries
 * headers (API token, authorization), the query string (metadata) or bodies (secret values); with
 * `obfuscateURLs` it names the endpoint instead of the path.
 */
export function httpApiLog(settings: ApiLoggingSettings, logger: Logger): ((served: ServedRequest) => void) | undefined {
  if (!settings.enabled) return undefined;
  return (served) => {
    const name = endpointName(served);
    if (settings.omitHealthChecks && healthChecks.has(name)) return;
    logger.info({
      method: settings.obfuscateURLs ? name : `${served.method} ${served.path}`,
      ...(served.userAgent ? { useragent: served.userAgent } : {}),
      code: served.status,
      size: served.responseBytes,
      duration: Math.round(served.elapsedMs),
    }, 'HTTP API Called');
  };
}

function endpointName(served: ServedRequest): string {
  const route = served.route.replace(/^\/v1\.0(-alpha1|-beta1)?/, '');
  if (route.startsWith('/invoke/')) {
    const appId = invocationParts(served.path)?.target;
    return appId ? `InvokeService/${appId}` : 'InvokeService';
  }
  return endpointNames.find(([verbs, candidate]) => candidate === route && verbs.includes(served.method))?.[2] ?? served.route;
}

