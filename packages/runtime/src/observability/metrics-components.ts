import type { Registry } from 'prom-client';
import { HotCounter, HotHistogram } from './metrics-hot.js';

/** daprd's operation label values for state stores. */
export type StateOperation = 'get' | 'set' | 'delete' | 'bulk_get' | 'bulk_delete' | 'transaction' | 'query';
/** What became of an event handed to the app: daprd's `process_status` values. */
export type IngressStatus = 'success' | 'retry' | 'drop';

/** Where blocks report component calls; the sidecar attaches the real one when metrics are on. */
export interface ComponentMetricsRecorder {
  state(component: string, operation: StateOperation, success: boolean, elapsedMs: number): void;
  secret(component: string, operation: 'get' | 'bulk_get', success: boolean, elapsedMs: number): void;
  configuration(component: string, operation: 'get' | 'subscribe' | 'unsubscribe', success: boolean, elapsedMs: number): void;
  outputBinding(component: string, operation: string, success: boolean, elapsedMs: number): void;
  inputBinding(component: string, success: boolean, elapsedMs: number): void;
  pubsubEgress(component: string, topic: string, success: boolean, elapsedMs: number): void;
  pubsubIngress(component: string, topic: string, status: IngressStatus, elapsedMs: number): void;
}

type Pair<L extends string> = { count: HotCounter<L>; latency: HotHistogram<L> };

/**
 * daprd's component metrics (`dapr_component_*_count` counters and `_latencies` histograms in
 * milliseconds) with its labels. Operations are recorded where the building block calls the component,
 * once per API call, as daprd records them in its API layer. A state get or save records here on every
 * call, so these are the hot-path classes (metrics-hot.ts), not prom-client's own, and each label object
 * is one literal (a spread of shared labels showed in the state path's profile).
 */
export class ComponentMetrics implements ComponentMetricsRecorder {
  private readonly stateMetrics: Pair<'app_id' | 'component' | 'namespace' | 'operation' | 'success'>;
  private readonly secretMetrics: Pair<'app_id' | 'component' | 'namespace' | 'operation' | 'success'>;
  private readonly configurationMetrics: Pair<'app_id' | 'component' | 'namespace' | 'operation' | 'success'>;
  private readonly outputBindingMetrics: Pair<'app_id' | 'component' | 'namespace' | 'operation' | 'success'>;
  private readonly inputBindingMetrics: Pair<'app_id' | 'component' | 'namespace' | 'success'>;
  private readonly egressMetrics: Pair<'app_id' | 'component' | 'namespace' | 'success' | 'topic'>;
  private readonly ingressMetrics: Pair<'app_id' | 'component' | 'namespace' | 'process_status' | 'topic' | 'status'>;

  constructor(registry: Registry, private readonly appId: string, private readonly namespace: string, buckets: number[]) {
    const pair = <L extends string>(name: string, what: string, latencyWhat: string, labelNames: readonly L[]): Pair<L> => ({
      count: new HotCounter({ name: `dapr_component_${name}_count`, help: what, labelNames, registers: [registry] }),
      latency: new HotHistogram({ name: `dapr_component_${name}_latencies`, help: latencyWhat, labelNames, buckets, registers: [registry] }),
    });
    const operationLabels = ['app_id', 'component', 'namespace', 'operation', 'success'] as const;
    this.stateMetrics = pair('state', 'The number of operations performed on the state component.', 'The latency of the response from the state component.', operationLabels);
    this.secretMetrics = pair('secret', 'The number of operations performed on the secret component.', 'The latency of the response from the secret component.', operationLabels);
    this.configurationMetrics = pair('configuration', 'The number of operations performed on the configuration component.', 'The latency of the response from the configuration component.', operationLabels);
    this.outputBindingMetrics = pair('output_binding', 'The number of operations invoked on the output binding component.', 'The latency of the response from the output binding component.', operationLabels);
    this.inputBindingMetrics = pair('input_binding', 'The number of incoming events arriving from the input binding component.', 'The triggered app event processing latency.', ['app_id', 'component', 'namespace', 'success']);
    this.egressMetrics = pair('pubsub_egress', 'The number of outgoing messages published to the pub/sub component.', 'The latency of the response from the pub/sub component.', ['app_id', 'component', 'namespace', 'success', 'topic']);
    this.ingressMetrics = pair('pubsub_ingress', 'The number of incoming messages arriving from the pub/sub component.', 'The consuming app event processing latency.', ['app_id', 'component', 'namespace', 'process_status', 'topic', 'status']);
  }

  state(component: string, operation: StateOperation, success: boolean, elapsedMs: number): void {
    record(this.stateMetrics, { app_id: this.appId, component, namespace: this.namespace, operation, success: success ? 'true' : 'false' }, elapsedMs);
  }

  secret(component: string, operation: 'get' | 'bulk_get', success: boolean, elapsedMs: number): void {
    record(this.secretMetrics, { app_id: this.appId, component, namespace: this.namespace, operation, success: success ? 'true' : 'false' }, elapsedMs);
  }

  configuration(component: string, operation: 'get' | 'subscribe' | 'unsubscribe', success: boolean, elapsedMs: number): void {
    record(this.configurationMetrics, { app_id: this.appId, component, namespace: this.namespace, operation, success: success ? 'true' : 'false' }, elapsedMs);
  }

  outputBinding(component: string, operation: string, success: boolean, elapsedMs: number): void {
    record(this.outputBindingMetrics, { app_id: this.appId, component, namespace: this.namespace, operation, success: success ? 'true' : 'false' }, elapsedMs);
  }

  inputBinding(component: string, success: boolean, elapsedMs: number): void {
    record(this.inputBindingMetrics, { app_id: this.appId, component, namespace: this.namespace, success: success ? 'true' : 'false' }, elapsedMs);
  }

  pubsubEgress(component: string, topic: string, success: boolean, elapsedMs: number): void {
    record(this.egressMetrics, { app_id: this.appId, component, namespace: this.namespace, success: success ? 'true' : 'false', topic }, elapsedMs);
  }

  pubsubIngress(component: string, topic: string, status: IngressStatus, elapsedMs: number): void {
    record(this.ingressMetrics, { app_id: this.appId, component, namespace: this.namespace, process_status: status, topic, status }, elapsedMs);
  }

}

function record<L extends string>(metrics: Pair<L>, labels: Record<L, string>, elapsedMs: number): void {
  metrics.count.inc(labels);
  metrics.latency.observe(labels, elapsedMs);
}

const noMetrics: ComponentMetricsRecorder = {
  state: () => undefined, secret: () => undefined, configuration: () => undefined, outputBinding: () => undefined,
  inputBinding: () => undefined, pubsubEgress: () => undefined, pubsubIngress: () => undefined,
};

/**
 * Component metrics ride on the component host every block already holds, so blocks need no new
 * constructor argument: the sidecar attaches the recorder, blocks look it up when they call a component.
 */
const attached = new WeakMap<object, ComponentMetricsRecorder>();

export function attachComponentMetrics(host: object, recorder: ComponentMetricsRecorder): void {
  attached.set(host, recorder);
}

/** The recorder attached to this component host; one that records nothing when metrics are off. */
export function componentMetricsOf(host: object): ComponentMetricsRecorder {
  return attached.get(host) ?? noMetrics;
}

/** Runs one component call and reports whether it succeeded and how long it took. */
export async function timed<T>(work: () => Promise<T>, report: (success: boolean, elapsedMs: number) => void): Promise<T> {
  const started = performance.now();
  try {
    const result = await work();
    report(true, performance.now() - started);
    return result;
  } catch (error) {
    report(false, performance.now() - started);
    throw error;
  }
}
