import type { Registry } from 'prom-client';

// Counters and histograms for the metrics recorded on every request (HTTP server and client, gRPC
// server). prom-client's own classes hash and validate the label object on every `inc` and `observe`
// (sort the names, build a string, check each value); with eight such calls per invocation that was a
// third of a sidecar's CPU per request (bench/results/2026-11-23-framed.md, metrics on against off).
// These keep one series per label values, found by a key built in the declared label order, and hand
// prom-client's registry the same samples its classes would at scrape time: names, HELP/TYPE lines and
// text format stay prom-client's.

interface Series<Data> {
  readonly labels: Readonly<Record<string, string>>;
  readonly data: Data;
}

/** The sample shape prom-client's registry formats (`sharedLabels` are the series' labels). */
interface Sample {
  readonly value: number;
  readonly metricName?: string;
  readonly labels?: Record<string, string | number>;
  readonly sharedLabels?: Readonly<Record<string, string>>;
}

interface MetricConfig<Label extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly Label[];
  readonly registers: readonly Registry[];
}

abstract class HotMetric<Label extends string, Data> {
  readonly name: string;
  readonly help: string;
  readonly aggregator = 'sum';
  abstract readonly type: 'counter' | 'histogram';
  protected readonly series: Series<Data>[] = [];
  /** Series by label values: one Map level per label, so no key string is built per call. */
  private readonly index = new Map<string, unknown>();
  private readonly labelNames: readonly Label[];
  private readonly resetListeners: (() => void)[] = [];

  constructor(config: MetricConfig<Label>) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames;
    // The registry only stores the metric and calls get() and reset(); it needs no prom-client class.
    for (const registry of config.registers) registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  reset(): void {
    this.series.length = 0;
    this.index.clear();
    for (const listener of this.resetListeners) listener();
  }

  /** Called when the registry drops every series: whoever holds a series' data must look it up again. */
  onReset(listener: () => void): void {
    this.resetListeners.push(listener);
  }

  /** The series of these label values, made on first use; its data stays valid until {@link reset}. */
  seriesOf(labels: Readonly<Record<Label, string>>): Data {
    const names = this.labelNames;
    let level = this.index;
    for (let depth = 0; depth < names.length - 1; depth++) {
      const value = String(labels[names[depth] as Label]);
      let next = level.get(value) as Map<string, unknown> | undefined;
      if (!next) {
        next = new Map<string, unknown>();
        level.set(value, next);
      }
      level = next;
    }
    const last = String(labels[names[names.length - 1] as Label]);
    let found = level.get(last) as Series<Data> | undefined;
    if (!found) {
      const copy: Record<string, string> = {};
      for (const name of names) copy[name] = String(labels[name]);
      found = { labels: copy, data: this.newData() };
      level.set(last, found);
      this.series.push(found);
    }
    return found.data;
  }

  protected abstract newData(): Data;

  protected abstract samples(): Sample[];

  /** Called by the registry at scrape time. */
  get(): { name: string; help: string; type: string; aggregator: string; values: Sample[] } {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.samples() };
  }
}

export class HotCounter<Label extends string> extends HotMetric<Label, { value: number }> {
  readonly type = 'counter';

  inc(labels: Readonly<Record<Label, string>>, by = 1): void {
    this.seriesOf(labels).value += by;
  }

  protected newData(): { value: number } {
    return { value: 0 };
  }

  protected samples(): Sample[] {
    return this.series.map((series) => ({ value: series.data.value, labels: { ...series.labels } }));
  }
}

export interface HistogramData {
  /** Observations per bucket (not cumulative); one more than the bounds, for +Inf. */
  readonly counts: number[];
  sum: number;
  count: number;
}

export class HotHistogram<Label extends string> extends HotMetric<Label, HistogramData> {
  readonly type = 'histogram';
  private readonly bounds: readonly number[];

  constructor(config: MetricConfig<Label> & { readonly buckets: readonly number[] }) {
    super(config);
    this.bounds = [...config.buckets].sort((a, b) => a - b);
  }

  observe(labels: Readonly<Record<Label, string>>, value: number): void {
    this.observeInto(this.seriesOf(labels), value);
  }

  /** Records a value in a series already looked up with {@link seriesOf}. */
  observeInto(data: HistogramData, value: number): void {
    const bounds = this.bounds;
    // Bucket `le` holds values up to and including its bound, as in prom-client.
    let index = 0;
    while (index < bounds.length && value > (bounds[index] as number)) index++;
    (data.counts[index] as number)++;
    data.sum += value;
    data.count++;
  }

  protected newData(): HistogramData {
    return { counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
  }

  protected samples(): Sample[] {
    const samples: Sample[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const { labels, data } of this.series) {
      let cumulative = 0;
      this.bounds.forEach((bound, index) => {
        cumulative += data.counts[index] as number;
        samples.push({ metricName: bucketName, labels: { le: bound }, sharedLabels: labels, value: cumulative });
      });
      samples.push({ metricName: bucketName, labels: { le: '+Inf' }, sharedLabels: labels, value: data.count });
      samples.push({ metricName: `${this.name}_sum`, labels: {}, sharedLabels: labels, value: data.sum });
      samples.push({ metricName: `${this.name}_count`, labels: {}, sharedLabels: labels, value: data.count });
    }
    return samples;
  }
}
