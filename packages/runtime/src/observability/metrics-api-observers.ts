import type { Interceptor } from '@connectrpc/connect';
import { createLogger } from '@outrigger/kit';
import type { SidecarOptions } from '../options/sidecar-options.js';
import type { ConfigurationResource } from '../resources/resource-schemas.js';
import { runtimeVersion } from '../version.js';
import { grpcApiLog, httpApiLog } from './logging-api.js';
import { apiLoggingSettings } from './logging-config.js';
import { grpcServerMetrics } from './metrics-grpc.js';
import { observeHttpRequests, type HttpRequestObserver, type ServedRequestSink } from './metrics-http-exchange.js';
import type { SidecarMetrics } from './sidecar-metrics.js';

/** What the API servers run around each call: metrics and the API log, each only when on. */
export interface ApiObservers {
  readonly http: HttpRequestObserver | undefined;
  readonly grpc: readonly Interceptor[];
}

/**
 * Builds the API servers' observers from the metrics (undefined when off) and the API logging settings
 * (flag and Configuration). API lines go to daprd's scopes (`dapr.runtime.http-info`,
 * `dapr.runtime.grpc.api-info`) at info level whatever `--log-level` says, as daprd writes them.
 */
export function apiObservers(options: SidecarOptions, configurations: readonly ConfigurationResource[], metrics: SidecarMetrics | undefined): ApiObservers {
  const logging = apiLoggingSettings(options.enableApiLogging, configurations);
  const apiLogger = (scope: string) => createLogger({ scope, appId: options.appId, level: 'info', json: options.logAsJson, version: runtimeVersion });
  const httpSinks: ServedRequestSink[] = [];
  const grpc: Interceptor[] = [];
  if (metrics) {
    httpSinks.push((served) => metrics.recordServerRequest(served));
    grpc.push(grpcServerMetrics((call) => metrics.recordGrpcCall(call)));
  }
  if (logging.enabled) {
    const httpLog = httpApiLog(logging, apiLogger('dapr.runtime.http-info'));
    const grpcLog = grpcApiLog(logging, apiLogger('dapr.runtime.grpc.api-info'));
    if (httpLog) httpSinks.push(httpLog);
    if (grpcLog) grpc.push(grpcLog);
  }
  return { http: observeHttpRequests(httpSinks), grpc };
}
