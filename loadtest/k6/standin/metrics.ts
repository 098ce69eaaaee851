/** Stand-in for `k6/metrics`: Counter, Gauge, Rate, Trend recording into the run's state. */
import { metric, record, type MetricType } from './context.js';

abstract class Metric {
  readonly name: string;
  protected abstract readonly kind: MetricType;
  protected readonly isTime: boolean;

  constructor(name: string, isTime = false) {
    this.name = name;
    this.isTime = isTime;
  }

  add(value: number | boolean, tags?: Record<string, string>): void {
    metric(this.name, this.kind, this.isTime);
    record(this.name, this.kind, typeof value === 'boolean' ? (value ? 1 : 0) : value, tags, this.isTime);
  }
}

export class Counter extends Metric {
  protected readonly kind = 'counter';
}
export class Gauge extends Metric {
  protected readonly kind = 'gauge';
}
export class Rate extends Metric {
  protected readonly kind = 'rate';
}
export class Trend extends Metric {
  protected readonly kind = 'trend';
}
