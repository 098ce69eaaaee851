/** k6 threshold expressions (`rate<0.01`, `p(95)<500`, `count>=1`) evaluated over the stand-in's samples. */
import type { MetricRecord, Sample } from './context.js';

export interface ThresholdResult {
  metric: string;
  expression: string;
  value: number;
  ok: boolean;
}

/** `http_req_duration{scenario:chat,status:200}` → name and tag filter. */
export function parseKey(key: string): { name: string; filter: Record<string, string> } {
  const m = /^([^{]+)(?:\{(.*)\})?$/.exec(key.trim());
  if (!m) throw new Error(`k6 stand-in: cannot read threshold key ${key}`);
  const filter: Record<string, string> = {};
  for (const part of (m[2] ?? '').split(',').filter(Boolean)) {
    const i = part.indexOf(':');
    filter[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return { name: m[1]!.trim(), filter };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

function aggregate(metric: MetricRecord, samples: Sample[], agg: string): number {
  const values = samples.map((s) => s.value);
  const sum = values.reduce((a, b) => a + b, 0);
  const sorted = [...values].sort((a, b) => a - b);
  const p = /^p\((\d+(?:\.\d+)?)\)$/.exec(agg);
  if (p) return percentile(sorted, Number(p[1]));
  switch (agg) {
    case 'count':
      return metric.type === 'counter' ? sum : values.length;
    case 'rate':
      return metric.type === 'counter' ? sum : values.length === 0 ? 0 : sum / values.length;
    case 'avg':
      return values.length === 0 ? 0 : sum / values.length;
    case 'min':
      return sorted[0] ?? 0;
    case 'max':
      return sorted.at(-1) ?? 0;
    case 'med':
      return percentile(sorted, 50);
    case 'value':
      return values.at(-1) ?? 0;
    default:
      throw new Error(`k6 stand-in: unknown aggregation ${agg}`);
  }
}

const OPS: Record<string, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b,
  '<=': (a, b) => a <= b,
  '>': (a, b) => a > b,
  '>=': (a, b) => a >= b,
  '==': (a, b) => a === b,
  '===': (a, b) => a === b,
  '!=': (a, b) => a !== b,
};

export function evaluate(key: string, expression: string, metrics: Map<string, MetricRecord>): ThresholdResult {
  const { name, filter } = parseKey(key);
  const m = /^\s*([a-z]+(?:\(\d+(?:\.\d+)?\))?)\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(expression);
  if (!m) throw new Error(`k6 stand-in: cannot read threshold ${key}: ${expression}`);
  const metric = metrics.get(name);
  const samples = (metric?.samples ?? []).filter((s) => Object.entries(filter).every(([k, v]) => s.tags[k] === v));
  // k6 leaves a threshold on a metric without samples unevaluated (it passes); so does the stand-in.
  if (!metric || samples.length === 0) return { metric: key, expression, value: Number.NaN, ok: true };
  const value = aggregate(metric, samples, m[1]!);
  return { metric: key, expression, value, ok: OPS[m[2]!]!(value, Number(m[3])) };
}
