import type { Interceptor } from '@connectrpc/connect';
import { createLogger } from '@outrigger/kit';
import type { SidecarOptions } from '../options/sidecar-options.js';
import type { ConfigurationResource } from '../resources/resource-schemas.js';
import { runtimeVersion } from '../version.js';
import { httpApiLog } from './logging-api.js';
import { apiLoggingSettings } from './logging-config.js';
import { observeHttpRequests, type HttpRequestObserver, type ServedRequestSink } from './metrics-http-exchange.js';
import type { SidecarMetrics } from './sidecar-metrics.js';

/** What the API servers run around each call: metrics and the API log, each only when on. */
export interface ApiObservers {
  readonly http: HttpRequestObserver | undefined;
  /**
   * The gRPC API's interceptors, built when its handler loads (the first gRPC call): their modules need
   * Connect, which an HTTP-only sidecar never loads.
   */
  readonly grpc: () => Promise<readonly Interceptor[]>;
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
  if (metrics) httpSinks.push((served) => metrics.recordServerRequest(served));
  const httpLog = logging.enabled ? httpApiLog(logging, apiLogger('dapr.runtime.http-info')) : undefined;
  if (httpLog) httpSinks.push(httpLog);
  const grpc = async (): Promise<readonly Interceptor[]> => {
    const interceptors: Interceptor[] = [];
    if (metrics) {
      const { grpcServerMetrics } = await import('./metrics-grpc.js');
      interceptors.push(grpcServerMetrics((call) => metrics.recordGrpcCall(call)));
    }
    if (logging.enabled) {
      const { grpcApiLog } = await import('./logging-grpc.js');
      const grpcLog = grpcApiLog(logging, apiLogger('dapr.runtime.grpc.api-info'));
      if (grpcLog) interceptors.push(grpcLog);
    }
    return interceptors;
  };
  return { http: observeHttpRequests(httpSinks), grpc };
}
