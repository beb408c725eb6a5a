import type { ConfigurationResource } from '../resources/resource-schemas.js';

/** daprd's latency buckets in milliseconds, so dashboards built for Dapr read Outrigger's histograms. */
export const defaultLatencyBucketsMs: readonly number[] = [1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 30, 40, 50, 65, 80, 100, 130, 160, 200, 250, 300, 400, 500, 650, 800, 1000, 2000, 5000, 10000, 20000, 50000, 100000];

/** The metrics settings of the sidecar, from `--enable-metrics` and the Configuration's `spec.metric`. */
export interface MetricsSettings {
  readonly enabled: boolean;
  readonly latencyBucketsMs: readonly number[];
  readonly http: HttpMetricsSettings;
}

export interface HttpMetricsSettings {
  /** `http.increasedCardinality`: keep (reduced) request paths as the `path` label. Outrigger's default is false. */
  readonly increasedCardinality: boolean;
  /** `http.pathMatching`: path templates; a matching path is labelled with its template. */
  readonly pathMatching: readonly string[];
  /** `http.excludeVerbs`: leave the `method` label empty. */
  readonly excludeVerbs: boolean;
}

type MetricSpec = NonNullable<ConfigurationResource['spec']['metric']>;

/**
 * Reads the metrics settings as daprd does: `spec.metrics` fields win over `spec.metric` ones, field by
 * field; several Configurations merge in load order, later ones winning. Metrics are on unless the flag
 * or `enabled: false` turns them off.
 */
export function metricsSettings(flagEnabled: boolean, configurations: readonly ConfigurationResource[]): MetricsSettings {
  const specs = configurations.flatMap((configuration) => [configuration.spec.metric, configuration.spec.metrics]).filter((spec): spec is MetricSpec => spec !== undefined);
  let enabled: boolean | undefined;
  let buckets: readonly number[] | undefined;
  let http: MetricSpec['http'];
  for (const spec of specs) {
    enabled = spec.enabled ?? enabled;
    if (spec.latencyDistributionBuckets && spec.latencyDistributionBuckets.length > 0) buckets = spec.latencyDistributionBuckets;
    http = spec.http ?? http;
  }
  return {
    enabled: flagEnabled && enabled !== false,
    latencyBucketsMs: buckets ? [...new Set(buckets)].sort((a, b) => a - b) : defaultLatencyBucketsMs,
    http: {
      // daprd 1.16 still defaults to true and warns that the default is changing; Outrigger starts at false.
      increasedCardinality: http?.increasedCardinality ?? false,
      pathMatching: http?.pathMatching ?? [],
      excludeVerbs: http?.excludeVerbs ?? false,
    },
  };
}
