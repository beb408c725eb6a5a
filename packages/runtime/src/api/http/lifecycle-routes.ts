import { sendJson } from './http-io.js';
import type { RouteDefinition } from './route-types.js';
import type { DrainProgress } from '../../lifecycle/drain.js';

/** The pre-stop endpoint for a Kubernetes preStop hook (`outrigger prestop` calls it). */
export const prestopPath = '/outrigger/v1/prestop';

export interface PrestopTarget {
  /** Drains inbound work; resolves when the drain is over. */
  drain(): Promise<'drained' | 'timed-out'>;
  readonly drainProgress: DrainProgress | undefined;
}

/**
 * `POST /outrigger/v1/prestop`: drains the app's inbound work and answers when that is over, so the
 * kubelet stops containers only after in-flight work finished. The outbound API keeps serving until
 * the sidecar gets SIGTERM, so the app can still finish its own work. Outside Dapr's `/v1.0` paths on purpose.
 */
export function lifecycleRoutes(target: PrestopTarget): RouteDefinition[] {
  return [{
    methods: ['POST'], path: '/prestop', versions: ['outrigger/v1'],
    handler: async ({ res }) => {
      const result = await target.drain();
      sendJson(res, 200, { result, progress: target.drainProgress ?? null });
    },
  }];
}
