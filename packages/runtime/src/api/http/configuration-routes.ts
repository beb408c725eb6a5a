// Dapr configuration API over HTTP: https://docs.dapr.io/reference/api/configuration_api/
import type { ConfigurationApi } from '../../blocks/configuration/configuration-api.js';
import { toWireItems } from '../../blocks/configuration/configuration-api.js';
import { DaprError } from '@outrigger/kit';
import { queryMetadata, sendEmpty, sendJson } from './http-io.js';
import type { RouteDefinition } from './route-types.js';

/** daprd registers the configuration API under both versions. */
const versions = ['v1.0', 'v1.0-alpha1'];

export function configurationRoutes(configuration: ConfigurationApi): RouteDefinition[] {
  return [
    {
      methods: ['GET'], path: '/configuration/:storeName', versions,
      handler: async ({ res, params, query }) => {
        const items = await configuration.get(params.storeName ?? '', query.getAll('key'), queryMetadata(query));
        if (Object.keys(items).length === 0) {
          sendEmpty(res);
          return;
        }
        sendJson(res, 200, toWireItems(items));
      },
    },
    {
      methods: ['GET'], path: '/configuration/:storeName/subscribe', versions,
      handler: async ({ res, params, query }) => {
        const id = await configuration.subscribe(params.storeName ?? '', query.getAll('key'), queryMetadata(query));
        sendJson(res, 200, { id });
      },
    },
    {
      methods: ['GET'], path: '/configuration/:storeName/:subscriptionId/unsubscribe', versions,
      handler: async ({ res, params }) => {
        const storeName = params.storeName ?? '';
        // A missing store is a normal error body; only the unsubscribe failure itself has the {ok, message} shape.
        configuration.resolve(storeName);
        try {
          await configuration.unsubscribe(storeName, params.subscriptionId ?? '');
        } catch (error) {
          if (!(error instanceof DaprError) || error.kind !== 'configurationUnsubscribe') throw error;
          // daprd's body type has `ok` with omitempty, so a failure carries only the message.
          sendJson(res, 500, { message: error.message });
          return;
        }
        sendJson(res, 200, { ok: true });
      },
    },
  ];
}
