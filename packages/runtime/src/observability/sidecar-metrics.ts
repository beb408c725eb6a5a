import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Phase } from '../lifecycle/readiness.js';
import { ComponentMetrics } from './metrics-components.js';
import { ExchangeSeries } from './metrics-exchange-series.js';
import { HotCounter, HotHistogram } from './metrics-hot.js';
import type { MetricsSettings } from './metrics-config.js';
import { HttpClientWatch, type HttpClientWatchOptions } from './metrics-http-client.js';
import { HttpPathLabels } from './metrics-http-paths.js';
import { ResiliencyMetrics } from './metrics-resiliency.js';
import { pathOf } from '@outrigger/kit';

/** daprd's size buckets in bytes, for request and response body histograms. */
const sizeBucketsBytes = [1024, 2048, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864, 268435456, 1073741824, 4294967296];

const phases: readonly Phase[] = ['starting', 'components-ready', 'outbound-ready', 'app-ready', 'ready', 'draining', 'stopped'];

/** One finished HTTP exchange, as the server or the client saw it. */
export interface HttpExchange {
  readonly method: string;
  /** The URL path without the query string; labelled through {@link HttpPathLabels}, never used raw. */
  readonly path: string;
  readonly status: number;
  readonly elapsedMs: number;
  readonly requestBytes: number;
  readonly responseBytes: number;
}

/** One finished gRPC call of the Dapr gRPC API. */
export interface GrpcCall {
  /** `/package.Service/Method`. */
  readonly method: string;
  /** The status code's Go name (`OK`, `NotFound`, ...), as daprd's opencensus views label it. */
  readonly status: string;
  readonly elapsedMs: number;
}


/**
 * The sidecar's Prometheus metrics, with daprd's names and labels: HTTP server and client, gRPC server,
 * components (`dapr_component_*`, see {@link ComponentMetrics}), resiliency (`dapr_resiliency_*`, see
 * {@link ResiliencyMetrics}), `dapr_runtime_component_loaded`; and
 * Outrigger's lifecycle metrics (`outrigger_*`). Label values are bounded: HTTP paths go through
 * {@link HttpPathLabels}, which by default leaves them empty.
 */
export class SidecarMetrics {
  readonly registry = new Registry();
  readonly components: ComponentMetrics;
  readonly resiliency: ResiliencyMetrics;
  readonly paths: HttpPathLabels;
  private readonly serverExchanges: ExchangeSeries;
  private readonly serverRequestBytes: HotHistogram<'app_id'>;
  private readonly serverResponseBytes: HotHistogram<'app_id'>;
  private readonly clientExchanges: ExchangeSeries;
  private readonly clientReceivedBytes: HotHistogram<'app_id'>;
  private readonly appLabels: Readonly<Record<'app_id', string>>;
  private readonly grpcCompleted: HotCounter<'app_id' | 'grpc_server_method' | 'grpc_server_status'>;
  private readonly grpcLatency: HotHistogram<'app_id' | 'grpc_server_method' | 'grpc_server_status'>;
  private readonly componentLoaded: Counter<'app_id' | 'component' | 'namespace' | 'success'>;
  private readonly phase: Gauge<'app_id' | 'phase'>;
  private server: Server | undefined;
  private clientWatch: HttpClientWatch | undefined;

  constructor(private readonly appId: string, private readonly namespace: string, settings: MetricsSettings, readings: { inFlight: () => number; drainElapsedSeconds: () => number }) {
    const registers = [this.registry];
    const buckets = [...settings.latencyBucketsMs];
    const http = ['app_id', 'method', 'path', 'status'] as const;
    this.paths = new HttpPathLabels(settings.http);
    this.appLabels = { app_id: appId };
    this.serverExchanges = new ExchangeSeries(appId,
      new HotCounter({ name: 'dapr_http_server_request_count', help: 'Count of HTTP requests processed by the server.', labelNames: http, registers }),
      new HotHistogram({ name: 'dapr_http_server_latency', help: 'HTTP request end-to-end latency in the server, in milliseconds.', labelNames: http, buckets, registers }));
    this.serverRequestBytes = new HotHistogram({ name: 'dapr_http_server_request_bytes', help: 'HTTP request body size if set as Content-Length (uncompressed) in the server.', labelNames: ['app_id'], buckets: sizeBucketsBytes, registers });
    this.serverResponseBytes = new HotHistogram({ name: 'dapr_http_server_response_bytes', help: 'HTTP response body size (uncompressed) in the server.', labelNames: ['app_id'], buckets: sizeBucketsBytes, registers });
    this.clientExchanges = new ExchangeSeries(appId,
      new HotCounter({ name: 'dapr_http_client_completed_count', help: 'Count of completed requests the sidecar made to its app and to other sidecars.', labelNames: http, registers }),
      new HotHistogram({ name: 'dapr_http_client_roundtrip_latency', help: 'Time from the request sent to the last byte of the response received, in milliseconds.', labelNames: http, buckets, registers }),
      new HotHistogram({ name: 'dapr_http_client_sent_bytes', help: 'Total bytes sent in request bodies (not including headers).', labelNames: http, buckets: sizeBucketsBytes, registers }));
    this.clientReceivedBytes = new HotHistogram({ name: 'dapr_http_client_received_bytes', help: 'Total bytes received in response bodies (not including headers, including error responses with bodies).', labelNames: ['app_id'], buckets: sizeBucketsBytes, registers });
    const grpc = ['app_id', 'grpc_server_method', 'grpc_server_status'] as const;
    this.grpcCompleted = new HotCounter({ name: 'dapr_grpc_io_server_completed_rpcs', help: 'Count of RPCs by method and status.', labelNames: grpc, registers });
    this.grpcLatency = new HotHistogram({ name: 'dapr_grpc_io_server_server_latency', help: 'Time from the first byte of the request received to the last byte of the response sent, or terminal error, in milliseconds.', labelNames: grpc, buckets, registers });
    this.componentLoaded = new Counter({ name: 'dapr_runtime_component_loaded', help: 'The number of successfully loaded components.', labelNames: ['app_id', 'component', 'namespace', 'success'], registers });
    this.components = new ComponentMetrics(this.registry, appId, namespace, buckets);
    this.resiliency = new ResiliencyMetrics(this.registry, appId);
    this.phase = new Gauge({ name: 'outrigger_lifecycle_phase', help: '1 for the phase the sidecar is in, 0 for the others.', labelNames: ['app_id', 'phase'], registers });
    new Gauge({
      name: 'outrigger_app_inflight_requests', help: 'Calls into the app not answered yet.', labelNames: ['app_id'], registers,
      collect() { this.set({ app_id: appId }, readings.inFlight()); },
    });
    new Gauge({
      name: 'outrigger_drain_elapsed_seconds', help: 'How long the current drain has been running; 0 when none is.', labelNames: ['app_id'], registers,
      collect() { this.set({ app_id: appId }, readings.drainElapsedSeconds()); },
    });
    collectDefaultMetrics({ register: this.registry });
    this.setPhase('starting');
  }

  /** Records one request the HTTP API answered. */
  recordServerRequest(exchange: HttpExchange): void {
    this.serverExchanges.record(this.paths.method(exchange.method), this.paths.path(exchange.path), exchange.status, exchange.elapsedMs, 0);
    this.serverRequestBytes.observe(this.appLabels, exchange.requestBytes);
    this.serverResponseBytes.observe(this.appLabels, exchange.responseBytes);
  }

  /** Records one call the sidecar made over HTTP, to its app or to another sidecar. */
  recordClientRequest(exchange: HttpExchange): void {
    this.clientExchanges.record(this.paths.method(exchange.method), this.paths.path(exchange.path), exchange.status, exchange.elapsedMs, exchange.requestBytes);
    this.clientReceivedBytes.observe(this.appLabels, exchange.responseBytes);
  }

  /** Records one finished call of the gRPC API. */
  recordGrpcCall(call: GrpcCall): void {
    const labels = { app_id: this.appId, grpc_server_method: call.method, grpc_server_status: call.status };
    this.grpcCompleted.inc(labels);
    this.grpcLatency.observe(labels, call.elapsedMs);
  }

  /** Starts measuring the sidecar's HTTP calls to its app and to other sidecars; stopped by {@link close}. */
  watchHttpClient(targets: Omit<HttpClientWatchOptions, 'record'>): void {
    this.clientWatch?.stop();
    this.clientWatch = new HttpClientWatch({ ...targets, record: (exchange) => this.recordClientRequest(exchange) });
    this.clientWatch.start();
  }

  recordComponentLoaded(component: string, success: boolean): void {
    this.componentLoaded.inc({ app_id: this.appId, component, namespace: this.namespace, success: String(success) });
  }

  setPhase(current: Phase): void {
    for (const phase of phases) this.phase.set({ app_id: this.appId, phase }, phase === current ? 1 : 0);
  }

  /** Serves `GET /metrics` in Prometheus text format on its own port. */
  async listen(port: number, host?: string): Promise<number> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || pathOf(req.url ?? '') !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      this.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': this.registry.contentType });
        res.end(text);
      }, (error: Error) => res.writeHead(500).end(error.message));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host }, () => resolve());
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.clientWatch?.stop();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
