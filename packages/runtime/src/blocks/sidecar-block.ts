import type { Logger } from '@outrigger/kit';
import type { DaprMethods } from '../api/grpc/dapr-service.js';
import type { RouteDefinition } from '../api/http/route-types.js';
import type { AppChannel } from '../app-channel/app-channel.js';
import type { ComponentHost, LoadedComponent } from '../components/component-host.js';
import type { SidecarOptions } from '../options/sidecar-options.js';
import type { LoadedResources } from '../resources/load-resources.js';
import type { Resiliency } from '../resiliency/resiliency.js';

/** What every building block gets from the sidecar. */
export interface SidecarContext {
  readonly options: SidecarOptions;
  readonly logger: Logger;
  readonly components: ComponentHost;
  readonly resources: LoadedResources;
  /** Undefined when the sidecar runs with no app (no `--app-port`). */
  readonly appChannel: AppChannel | undefined;
  /** The Resiliency policies; blocks put their inbound deliveries through them. */
  readonly resiliency?: Resiliency;
}

/**
 * One building block as the sidecar sees it. The sidecar composes blocks: it serves their routes,
 * starts their inbound work once the app is ready, stops it first on shutdown, and merges their
 * contributions to the metadata API.
 */
export interface SidecarBlock {
  readonly name: string;
  routes?(): RouteDefinition[];
  /**
   * Its methods of the gRPC `dapr.proto.runtime.v1.Dapr` service, over the same block API as its routes;
   * asked for on the first gRPC call, so the method modules (and Connect's) are imported only then.
   */
  grpc?(): Promise<DaprMethods>;
  /** Starts delivering work to the app (subscriptions, input bindings); called once the app is ready. */
  startInbound?(): Promise<void>;
  /** Stops taking new inbound work; called first on shutdown. */
  stopInbound?(): Promise<void>;
  /** The metadata API's `capabilities` for a component of this block; undefined for components it does not own. */
  componentCapabilities?(component: LoadedComponent): readonly string[] | undefined;
  /** Fields merged into `GET /v1.0/metadata`, e.g. `{ subscriptions: [...] }`. */
  metadata?(): Record<string, unknown>;
  close?(): Promise<void>;
}
