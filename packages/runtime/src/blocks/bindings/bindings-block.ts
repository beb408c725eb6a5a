import { bindingsRoutes } from '../../api/http/bindings-routes.js';
import type { SidecarBlock, SidecarContext } from '../sidecar-block.js';
import { bindingCapabilities } from './binding-components.js';
import { BindingsApi } from './bindings-api.js';
import { InputBindingRunner } from './input-bindings.js';

/** daprd's default for `--app-binding-options-timeout`: how long the app may take to answer `OPTIONS /{binding}`. */
const probeTimeoutMs = 3_000;

/** Bindings: output bindings through `/v1.0/bindings/{name}`, input bindings delivered to the app once it is ready. */
export function bindingsBlock(context: SidecarContext): SidecarBlock {
  const api = new BindingsApi(context.components);
  const input = new InputBindingRunner({
    components: context.components, appChannel: context.appChannel, logger: context.logger,
    probeTimeoutMs, drainTimeoutMs: context.options.gracefulShutdownMs, resiliency: context.resiliency,
  });
  return {
    name: 'bindings',
    routes: () => bindingsRoutes(api),
    grpc: async () => (await import('../../api/grpc/bindings-methods.js')).bindingsMethods(api),
    startInbound: () => input.start(),
    stopInbound: () => input.stop(),
    componentCapabilities: (component) => (component.registration.block === 'bindings' ? bindingCapabilities(component) : undefined),
  };
}
