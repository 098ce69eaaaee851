/** What the stand-in records during a run: metric samples with tags, and the tags in force. */

export type MetricType = 'counter' | 'gauge' | 'rate' | 'trend';

export interface Sample {
  value: number;
  tags: Record<string, string>;
}

export interface MetricRecord {
  name: string;
  type: MetricType;
  isTime: boolean;
  samples: Sample[];
}

export interface CheckRecord {
  passes: number;
  fails: number;
}

export const state = {
  metrics: new Map<string, MetricRecord>(),
  checks: new Map<string, CheckRecord>(),
  /** Tags added to every sample: the options' `tags` and the running scenario's name. */
  tags: {} as Record<string, string>,
};

export function metric(name: string, type: MetricType, isTime: boolean): MetricRecord {
  let m = state.metrics.get(name);
  if (!m) {
    m = { name, type, isTime, samples: [] };
    state.metrics.set(name, m);
  } else if (m.type !== type) {
    throw new Error(`k6 stand-in: metric ${name} is already a ${m.type}, not a ${type}`);
  }
  return m;
}

export function record(name: string, type: MetricType, value: number, tags?: Record<string, string>, isTime = false): void {
  metric(name, type, isTime).samples.push({ value, tags: tags ? { ...state.tags, ...tags } : state.tags });
}

export function resetState(): void {
  state.metrics.clear();
  state.checks.clear();
  state.tags = {};
}
