import { stateRoutes } from '../../api/http/state-routes.js';
import type { SidecarBlock, SidecarContext } from '../sidecar-block.js';
import { StateApi } from './state-api.js';

export function stateBlock(context: SidecarContext): SidecarBlock {
  const state = new StateApi(context.components, context.options.appId, context.options.namespace);
  return { name: 'state', routes: () => stateRoutes(state), grpc: async () => (await import('../../api/grpc/state-methods.js')).stateMethods(state) };
}
