import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Phase } from '../lifecycle/readiness.js';

/** daprd's latency buckets in milliseconds, so dashboards built for Dapr read Outrigger's histograms. */
const latencyBucketsMs = [1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 30, 40, 50, 65, 80, 100, 130, 160, 200, 250, 300, 400, 500, 650, 800, 1000, 2000, 5000, 10000, 20000, 50000, 100000];

const phases: readonly Phase[] = ['starting', 'components-ready', 'outbound-ready', 'app-ready', 'ready', 'draining', 'stopped'];

/**
 * The sidecar's Prometheus metrics: Dapr's names and labels where Dapr has them
 * (`dapr_http_server_request_count`, `dapr_http_server_latency`, `dapr_runtime_component_loaded`),
 * and Outrigger's lifecycle metrics (`outrigger_*`). Label values are bounded: paths are route
 * templates, never raw URLs.
 */
export class SidecarMetrics {
  readonly registry = new Registry();
  private readonly requestCount: Counter<'app_id' | 'method' | 'path' | 'status'>;
  private readonly latency: Histogram<'app_id' | 'method' | 'path' | 'status'>;
  private readonly componentLoaded: Counter<'app_id' | 'component' | 'namespace' | 'success'>;
  private readonly phase: Gauge<'app_id' | 'phase'>;
  private server: Server | undefined;

  constructor(private readonly appId: string, private readonly namespace: string, readings: { inFlight: () => number; drainElapsedSeconds: () => number }) {
    const labels = ['app_id', 'method', 'path', 'status'] as const;
    this.requestCount = new Counter({ name: 'dapr_http_server_request_count', help: 'Number of HTTP requests started in the server.', labelNames: labels, registers: [this.registry] });
    this.latency = new Histogram({ name: 'dapr_http_server_latency', help: 'HTTP request end-to-end latency in the server, in milliseconds.', labelNames: labels, buckets: latencyBucketsMs, registers: [this.registry] });
    this.componentLoaded = new Counter({ name: 'dapr_runtime_component_loaded', help: 'Number of components loaded.', labelNames: ['app_id', 'component', 'namespace', 'success'], registers: [this.registry] });
    this.phase = new Gauge({ name: 'outrigger_lifecycle_phase', help: '1 for the phase the sidecar is in, 0 for the others.', labelNames: ['app_id', 'phase'], registers: [this.registry] });
    new Gauge({
      name: 'outrigger_app_inflight_requests', help: 'Calls into the app not answered yet.', labelNames: ['app_id'], registers: [this.registry],
      collect() { this.set({ app_id: appId }, readings.inFlight()); },
    });
    new Gauge({
      name: 'outrigger_drain_elapsed_seconds', help: 'How long the current drain has been running; 0 when none is.', labelNames: ['app_id'], registers: [this.registry],
      collect() { this.set({ app_id: appId }, readings.drainElapsedSeconds()); },
    });
    collectDefaultMetrics({ register: this.registry });
    this.setPhase('starting');
  }

  /** Records one finished API request; `path` is the route template. */
  recordRequest(method: string, path: string, status: number, elapsedMs: number): void {
    const labels = { app_id: this.appId, method, path, status: String(status) };
    this.requestCount.inc(labels);
    this.latency.observe(labels, elapsedMs);
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
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
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
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
