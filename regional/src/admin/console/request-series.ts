/**
 * The overview's time series, bucketed on the server: per bucket (an hour or a UTC day, aligned to the epoch)
 * the request count, errors, nearest-rank p50/p95 of latency and gateway overhead, tokens and spend; and
 * requests, tokens and spend per model or team (the top groups by spend, the rest as `other`). Both request
 * log sources reduce their rows to the same `Cell`s, and `assembleSeries` turns those into the answer, so
 * ClickHouse and the local files agree by construction beyond the SQL.
 */
import { percentile, type RequestFilter, type RequestLogRow } from './request-log.js';

export type Bucket = 'hour' | 'day';
export const BUCKET_SECONDS: Record<Bucket, number> = { hour: 3600, day: 86_400 };

export interface SeriesQuery {
  bucket: Bucket;
  groupBy: 'model' | 'team';
  /** Groups kept by name; the rest fold into `other`. */
  top: number;
}

/** One bucket's totals. */
export interface TotalCell {
  t: number;
  requests: number;
  errors: number;
  p50_ms: number | null;
  p95_ms: number | null;
  p50_overhead_ms: number | null;
  p95_overhead_ms: number | null;
  total_tokens: number;
  cost_usd: number;
}

/** One (bucket, group) pair. */
export interface GroupCell {
  t: number;
  group: string;
  requests: number;
  total_tokens: number;
  cost_usd: number;
}

export interface RequestSeries {
  object: 'request_series';
  from: string;
  to: string;
  bucket: Bucket;
  bucket_seconds: number;
  group_by: 'model' | 'team';
  /** Bucket starts, epoch seconds, every bucket of the range (empty ones included). */
  t: number[];
  totals: {
    requests: number[];
    errors: number[];
    error_rate: (number | null)[];
    p50_ms: (number | null)[];
    p95_ms: (number | null)[];
    p50_overhead_ms: (number | null)[];
    p95_overhead_ms: (number | null)[];
    total_tokens: number[];
    cost_usd: number[];
  };
  groups: Array<{ group: string; requests: number[]; total_tokens: number[]; cost_usd: number[] }>;
}

/** Epoch seconds of `YYYY-MM-DD hh:mm:ss.fff` (UTC, as the request log stores time). */
export function rowSeconds(time: string): number {
  return Date.parse(time.replace(' ', 'T') + 'Z') / 1000;
}

/** The bucket starts of a range of UTC days. */
export function bucketsOf(from: string, to: string, bucket: Bucket): number[] {
  const step = BUCKET_SECONDS[bucket];
  const end = Date.parse(to + 'T00:00:00Z') / 1000 + 86_400;
  const out: number[] = [];
  for (let t = Date.parse(from + 'T00:00:00Z') / 1000; t < end; t += step) out.push(t);
  return out;
}

/** The local files' reduction: rows → cells (the ClickHouse source does the same in SQL). */
export function cellsOfRows(rows: readonly RequestLogRow[], q: SeriesQuery): { totals: TotalCell[]; groups: GroupCell[] } {
  const step = BUCKET_SECONDS[q.bucket];
  const byT = new Map<number, RequestLogRow[]>();
  const byGroup = new Map<string, GroupCell>();
  for (const r of rows) {
    const t = Math.floor(rowSeconds(r.time) / step) * step;
    let list = byT.get(t);
    if (!list) byT.set(t, (list = []));
    list.push(r);
    const group = q.groupBy === 'model' ? r.model : r.team_id;
    const k = `${t}\u0000${group}`;
    let g = byGroup.get(k);
    if (!g) byGroup.set(k, (g = { t, group, requests: 0, total_tokens: 0, cost_usd: 0 }));
    g.requests++;
    g.total_tokens += r.prompt_tokens + r.completion_tokens;
    g.cost_usd += r.cost_usd;
  }
  const totals: TotalCell[] = [];
  for (const [t, list] of byT) {
    const total = list.map((x) => x.total_ms).sort((a, b) => a - b);
    const overhead = list.map((x) => x.overhead_ms).sort((a, b) => a - b);
    totals.push({
      t, requests: list.length, errors: list.filter((x) => x.status < 200 || x.status >= 300).length,
      p50_ms: percentile(total, 50), p95_ms: percentile(total, 95), p50_overhead_ms: percentile(overhead, 50), p95_overhead_ms: percentile(overhead, 95),
      total_tokens: list.reduce((n, x) => n + x.prompt_tokens + x.completion_tokens, 0), cost_usd: list.reduce((n, x) => n + x.cost_usd, 0),
    });
  }
  return { totals, groups: [...byGroup.values()] };
}

const round9 = (n: number) => Math.round(n * 1e9) / 1e9;

/** Cells → the answer: every bucket of the range, the top groups by spend (then requests), the rest as `other`. */
export function assembleSeries(f: RequestFilter, q: SeriesQuery, cells: { totals: TotalCell[]; groups: GroupCell[] }): RequestSeries {
  const t = bucketsOf(f.from, f.to, q.bucket);
  const index = new Map(t.map((x, i) => [x, i]));
  const zeros = () => t.map(() => 0);
  const nulls = () => t.map((): number | null => null);
  const totals = { requests: zeros(), errors: zeros(), error_rate: nulls(), p50_ms: nulls(), p95_ms: nulls(), p50_overhead_ms: nulls(), p95_overhead_ms: nulls(), total_tokens: zeros(), cost_usd: zeros() };
  for (const c of cells.totals) {
    const i = index.get(c.t);
    if (i === undefined) continue;
    totals.requests[i] = c.requests;
    totals.errors[i] = c.errors;
    totals.error_rate[i] = c.requests ? c.errors / c.requests : null;
    totals.p50_ms[i] = c.p50_ms;
    totals.p95_ms[i] = c.p95_ms;
    totals.p50_overhead_ms[i] = c.p50_overhead_ms;
    totals.p95_overhead_ms[i] = c.p95_overhead_ms;
    totals.total_tokens[i] = c.total_tokens;
    totals.cost_usd[i] = round9(c.cost_usd);
  }
  const rank = new Map<string, number>();
  for (const c of cells.groups) rank.set(c.group, (rank.get(c.group) ?? 0) + c.cost_usd + c.requests * 1e-12);
  const kept = new Set([...rank.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, q.top).map(([g]) => g));
  const groups = new Map<string, RequestSeries['groups'][number]>();
  for (const g of kept) groups.set(g, { group: g || '(none)', requests: zeros(), total_tokens: zeros(), cost_usd: zeros() });
  for (const c of cells.groups) {
    const i = index.get(c.t);
    if (i === undefined) continue;
    const name = kept.has(c.group) ? c.group : '\u0000other';
    let s = groups.get(name);
    if (!s) groups.set(name, (s = { group: 'other', requests: zeros(), total_tokens: zeros(), cost_usd: zeros() }));
    s.requests[i]! += c.requests;
    s.total_tokens[i]! += c.total_tokens;
    s.cost_usd[i] = round9(s.cost_usd[i]! + c.cost_usd);
  }
  return { object: 'request_series', from: f.from, to: f.to, bucket: q.bucket, bucket_seconds: BUCKET_SECONDS[q.bucket], group_by: q.groupBy, t, totals, groups: [...groups.values()] };
}
