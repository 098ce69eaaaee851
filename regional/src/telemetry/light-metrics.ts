/**
 * Per-request counters and histograms that cost an array increment, registered in a prom-client Registry (same
 * text exposition, same names). prom-client's own `labels(...).inc()`/`observe()` validate the labels and hash
 * them on every call (its child objects are bound closures over the label object); on the request path that
 * was 8 hashes per request. Here a child is looked up once per label set and kept by the caller.
 *
 * Only what the request path updates per request lives here; rare counters stay prom-client's.
 */
import type { Registry } from 'prom-client';

interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

interface MetricLike {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }>;
  reset(): void;
}

export interface LightCounterChild {
  inc(by?: number): void;
}

export interface LightHistogramChild {
  observe(v: number): void;
}

abstract class LightMetric<C> implements MetricLike {
  abstract readonly type: 'counter' | 'histogram';
  readonly aggregator = 'sum' as const;
  protected readonly children = new Map<string, { labels: Record<string, string>; child: C }>();

  constructor(
    readonly name: string,
    readonly help: string,
    protected readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  protected abstract make(): C;

  /** The child for these label values (in `labelNames` order); keep it, it is the cheap handle. */
  labels(...values: string[]): C {
    const key = values.join('\u0000');
    let entry = this.children.get(key);
    if (!entry) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i] ?? ''));
      entry = { labels, child: this.make() };
      this.children.set(key, entry);
    }
    return entry.child;
  }

  protected abstract samples(labels: Record<string, string>, child: C): Sample[];

  async get() {
    const values: Sample[] = [];
    for (const { labels, child } of this.children.values()) values.push(...this.samples(labels, child));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.children.clear();
  }
}

class CounterChild implements LightCounterChild {
  value = 0;
  inc(by = 1): void {
    this.value += by;
  }
}

export class LightCounter extends LightMetric<CounterChild> {
  readonly type = 'counter' as const;
  protected make(): CounterChild {
    return new CounterChild();
  }
  protected samples(labels: Record<string, string>, c: CounterChild): Sample[] {
    return [{ labels, value: c.value }];
  }
}

class HistogramChild implements LightHistogramChild {
  /** counts[i] = observations ≤ bounds[i] and > bounds[i−1]; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }
  observe(v: number): void {
    if (!Number.isFinite(v)) return;
    let i = 0;
    while (i < this.bounds.length && v > this.bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
}

export class LightHistogram extends LightMetric<HistogramChild> {
  readonly type = 'histogram' as const;
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    super(name, help, labelNames, registry);
  }
  protected make(): HistogramChild {
    return new HistogramChild(this.bounds);
  }
  protected samples(labels: Record<string, string>, h: HistogramChild): Sample[] {
    const out: Sample[] = [];
    let cumulative = 0;
    for (let i = 0; i <= this.bounds.length; i++) {
      cumulative += h.counts[i]!;
      out.push({ labels: { le: i < this.bounds.length ? this.bounds[i]! : '+Inf', ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
    }
    out.push({ labels, value: h.sum, metricName: `${this.name}_sum` }, { labels, value: h.count, metricName: `${this.name}_count` });
    return out;
  }
}
