// Dapr metadata, health and shutdown APIs:
// https://docs.dapr.io/reference/api/metadata_api/ · https://docs.dapr.io/reference/api/health_api/
import { daprError } from '@outrigger/kit';
import { readBody, sendEmpty, sendJson } from './http-io.js';
import type { RouteDefinition } from './route-types.js';
import type { Readiness } from '../../lifecycle/readiness.js';

/** What the metadata and health routes need from the sidecar. */
export interface SidecarIntrospection {
  readonly appId: string;
  readonly readiness: Readiness;
  /** The body of `GET /v1.0/metadata`. */
  metadata(): Record<string, unknown>;
  setExtended(key: string, value: string): void;
  /** Starts a graceful shutdown; `force` exits at once as `dapr-force-shutdown: true` asks. */
  requestShutdown(force: boolean): void;
}

const v1 = ['v1.0'];

export function metadataRoutes(sidecar: SidecarIntrospection): RouteDefinition[] {
  return [
    { methods: ['GET'], path: '/metadata', versions: v1, handler: async ({ res }) => sendJson(res, 200, sidecar.metadata()) },
    {
      methods: ['PUT'], path: '/metadata/:key', versions: v1,
      handler: async ({ req, res, params, maxBodyBytes }) => {
        const body = await readBody(req, maxBodyBytes).catch((error: Error) => {
          throw daprError('bodyRead', error.message);
        });
        sidecar.setExtended(params.key ?? '', body.toString('utf8'));
        sendEmpty(res);
      },
    },
    {
      methods: ['GET'], path: '/healthz', versions: v1,
      handler: async ({ res, query }) => {
        const appId = query.get('appid');
        if (appId !== null && appId !== '' && appId !== sidecar.appId) throw daprError('healthAppIdMismatch');
        if (!sidecar.readiness.ready) throw daprError('healthNotReady', sidecar.readiness.phase);
        sendEmpty(res);
      },
    },
    {
      methods: ['GET'], path: '/healthz/outbound', versions: v1,
      handler: async ({ res }) => {
        if (!sidecar.readiness.outboundReady) throw daprError('outboundHealthNotReady');
        sendEmpty(res);
      },
    },
    {
      methods: ['POST'], path: '/shutdown', versions: v1,
      handler: async ({ req, res }) => {
        sendEmpty(res);
        sidecar.requestShutdown(req.headers['dapr-force-shutdown'] === 'true');
      },
    },
  ];
}
