import { configurationRoutes } from '../../api/http/configuration-routes.js';
import type { SidecarBlock, SidecarContext } from '../sidecar-block.js';
import { ConfigurationApi } from './configuration-api.js';

/**
 * The configuration building block: HTTP routes over {@link ConfigurationApi}. Subscriptions are made
 * by the app at run time, so there is nothing to start; stopping closes them all before the app channel goes.
 */
export function configurationBlock(context: SidecarContext): SidecarBlock {
  const configuration = new ConfigurationApi(context.components, context.appChannel, context.logger.child({ block: 'configuration' }));
  return {
    name: 'configuration',
    routes: () => configurationRoutes(configuration),
    grpc: async () => (await import('../../api/grpc/configuration-methods.js')).configurationMethods(configuration),
    stopInbound: () => configuration.closeAll(),
    close: () => configuration.closeAll(),
  };
}
