import { lockRoutes } from '../../api/http/lock-routes.js';
import type { SidecarBlock, SidecarContext } from '../sidecar-block.js';
import { LockApi } from './lock-api.js';

/** The distributed lock building block (alpha1): HTTP routes over {@link LockApi}; no inbound work. */
export function lockBlock(context: SidecarContext): SidecarBlock {
  const lock = new LockApi(context.components, context.options.appId);
  return { name: 'lock', routes: () => lockRoutes(lock), grpc: async () => (await import('../../api/grpc/lock-methods.js')).lockMethods(lock) };
}
