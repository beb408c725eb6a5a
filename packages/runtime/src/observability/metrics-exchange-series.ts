import type { HistogramData, HotCounter, HotHistogram } from './metrics-hot.js';

export type HttpLabels = 'app_id' | 'method' | 'path' | 'status';

/** The series of one label combination of an exchange: its count, its latency and (client side) its sent bytes. */
interface ExchangeSeriesData {
  readonly count: { value: number };
  readonly latency: HistogramData;
  readonly bytes: HistogramData | undefined;
}

/**
 * The HTTP series a finished exchange updates, by method, path label and status: three Map lookups on
 * values the exchange already has. Looking each metric's series up by a label object walked four Map
 * levels per metric, with a string made of the status each time, two or three metrics per exchange; that
 * was about half of what metrics cost a sidecar per request (bench/results/2026-11-23-hop-instructions.md).
 */
export class ExchangeSeries {
  private readonly byMethod = new Map<string, Map<string, Map<number, ExchangeSeriesData>>>();

  constructor(
    private readonly appId: string,
    private readonly count: HotCounter<HttpLabels>,
    private readonly latency: HotHistogram<HttpLabels>,
    private readonly bytes?: HotHistogram<HttpLabels>,
  ) {
    // A registry reset drops the series these point into.
    for (const metric of [count, latency, bytes]) metric?.onReset(() => this.byMethod.clear());
  }

  /** Counts one exchange with these label values; `bytes` goes to the bytes histogram when there is one. */
  record(method: string, path: string, status: number, elapsedMs: number, bytes: number): void {
    const series = this.seriesOf(method, path, status);
    series.count.value++;
    this.latency.observeInto(series.latency, elapsedMs);
    if (series.bytes) this.bytes?.observeInto(series.bytes, bytes);
  }

  private seriesOf(method: string, path: string, status: number): ExchangeSeriesData {
    let byPath = this.byMethod.get(method);
    if (!byPath) {
      byPath = new Map();
      this.byMethod.set(method, byPath);
    }
    let byStatus = byPath.get(path);
    if (!byStatus) {
      byStatus = new Map();
      byPath.set(path, byStatus);
    }
    let series = byStatus.get(status);
    if (!series) {
      const labels = { app_id: this.appId, method, path, status: String(status) };
      series = { count: this.count.seriesOf(labels), latency: this.latency.seriesOf(labels), bytes: this.bytes?.seriesOf(labels) };
      byStatus.set(status, series);
    }
    return series;
  }
}
