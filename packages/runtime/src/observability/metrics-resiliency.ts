import { Counter, Gauge, type Registry } from 'prom-client';
import type { PolicyMetricLabels, ResiliencyEvent } from '../resiliency/resiliency.js';

type PolicyLabel = 'app_id' | 'name' | 'policy' | 'namespace' | 'flow_direction' | 'target' | 'status';

/** The circuit breaker states daprd's dapr_resiliency_cb_state has a series for (1 for the current one, 0 for the rest). */
const breakerStatuses = ['closed', 'half-open', 'open', 'unknown'] as const;

/**
 * daprd's resiliency metrics: `dapr_resiliency_loaded` per Resiliency resource, `dapr_resiliency_count`
 * each time a policy applies to an operation, `dapr_resiliency_activations_total` each retry, fired
 * timeout or circuit breaker state change, and the `dapr_resiliency_cb_state` gauge. Fed by the
 * Resiliency module's events.
 */
export class ResiliencyMetrics {
  private readonly loaded: Counter<'app_id' | 'name' | 'namespace'>;
  private readonly executed: Counter<PolicyLabel>;
  private readonly activations: Counter<PolicyLabel>;
  private readonly breakerState: Gauge<PolicyLabel>;

  constructor(registry: Registry, private readonly appId: string) {
    const registers = [registry];
    const labelNames = ['app_id', 'name', 'policy', 'namespace', 'flow_direction', 'target', 'status'] as const;
    this.loaded = new Counter({ name: 'dapr_resiliency_loaded', help: 'Number of resiliency policies loaded.', labelNames: ['app_id', 'name', 'namespace'], registers });
    this.executed = new Counter({ name: 'dapr_resiliency_count', help: 'Number of times a resiliency policy has been applied to a building block.', labelNames, registers });
    this.activations = new Counter({
      name: 'dapr_resiliency_activations_total', labelNames, registers,
      help: 'Number of times a resiliency policy has been activated in a building block after a failure or after a state change.',
    });
    this.breakerState = new Gauge({ name: 'dapr_resiliency_cb_state', help: 'A resiliency policy\'s current circuit breaker state: 1 for the state it is in, 0 for the others.', labelNames, registers });
  }

  /** The Resiliency module's `onEvent`. */
  readonly record = (event: ResiliencyEvent): void => {
    switch (event.type) {
      case 'loaded':
        this.loaded.inc({ app_id: this.appId, name: event.resiliency, namespace: event.namespace });
        return;
      case 'executed':
        this.executed.inc(this.labels(event.labels));
        if (event.labels.policy === 'circuitbreaker') {
          for (const status of breakerStatuses) this.breakerState.set(this.labels({ ...event.labels, status }), status === event.labels.status ? 1 : 0);
        }
        return;
      case 'activated':
        this.activations.inc(this.labels(event.labels));
        return;
      default:
    }
  };

  private labels(labels: PolicyMetricLabels): Record<PolicyLabel, string> {
    return {
      app_id: this.appId, name: labels.resiliency, policy: labels.policy, namespace: labels.namespace,
      flow_direction: labels.direction, target: labels.target, status: labels.status,
    };
  }
}
