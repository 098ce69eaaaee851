/**
 * Spend over time for the console's chart: one value per UTC day for each of the top groups (model, team or
 * key) by cost in the range, the rest folded into `other`. From the `spend_daily` aggregates.
 */
import type pg from 'pg';

export interface SpendSeriesQuery {
  group_by: 'model' | 'team' | 'key';
  from: string;
  to: string;
  team_id?: string | undefined;
  key_id?: string | undefined;
  top: number;
}

export interface SpendSeries {
  object: 'spend_series';
  group_by: string;
  from: string;
  to: string;
  days: string[];
  series: Array<{ group: string; cost_usd: number[]; requests: number[]; total_tokens: number[] }>;
}

const COLUMN = { model: 'model', team: 'team_id', key: 'key_id' } as const;

export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(from + 'T00:00:00Z'); t <= Date.parse(to + 'T00:00:00Z') && out.length < 400; t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

const rank = (order: string[], g: string) => (order.includes(g) ? order.indexOf(g) : order.length);

export async function spendSeries(db: pg.Pool, q: SpendSeriesQuery): Promise<SpendSeries> {
  const params: unknown[] = [q.from, q.to];
  const where = ['day between $1::date and $2::date'];
  if (q.team_id) where.push(`team_id = $${params.push(q.team_id)}`);
  if (q.key_id) where.push(`key_id = $${params.push(q.key_id)}`);
  const col = COLUMN[q.group_by];
  const rows = (
    await db.query(
      `select to_char(day, 'YYYY-MM-DD') as day, coalesce(${col}, '') as grp, sum(cost_usd)::float8 as cost_usd, sum(requests)::float8 as requests, sum(total_tokens)::float8 as total_tokens
       from spend_daily where ${where.join(' and ')} group by 1, 2`,
      params,
    )
  ).rows as Array<{ day: string; grp: string; cost_usd: number; requests: number; total_tokens: number }>;
  const byGroup = new Map<string, number>();
  for (const r of rows) byGroup.set(r.grp, (byGroup.get(r.grp) ?? 0) + r.cost_usd + r.requests * 1e-12);
  const ranked = [...byGroup.entries()].sort((a, b) => b[1] - a[1]).map(([g]) => g);
  const kept = new Set(ranked.slice(0, q.top));
  const days = daysBetween(q.from, q.to);
  const dayIndex = new Map(days.map((d, i) => [d, i]));
  const series = new Map<string, SpendSeries['series'][number]>();
  const zero = () => days.map(() => 0);
  for (const r of rows) {
    const name = kept.has(r.grp) ? r.grp || '(none)' : 'other';
    let s = series.get(name);
    if (!s) series.set(name, (s = { group: name, cost_usd: zero(), requests: zero(), total_tokens: zero() }));
    const i = dayIndex.get(r.day);
    if (i === undefined) continue;
    s.cost_usd[i]! += r.cost_usd;
    s.requests[i]! += r.requests;
    s.total_tokens[i]! += r.total_tokens;
  }
  const order = [...kept].map((g) => g || '(none)');
  return { object: 'spend_series', group_by: q.group_by, from: q.from, to: q.to, days, series: [...series.values()].sort((a, b) => rank(order, a.group) - rank(order, b.group)) };
}
