/**
 * Spend reports from the `spend_daily` aggregates (written in batches by the usage pipeline). Days are UTC.
 */
import type pg from 'pg';
import type { z } from 'zod';
import { BREAKDOWN_COLUMNS, type Breakdown } from '../usage/breakdown-columns.js';
import type { SpendQuery } from './schemas.js';

/** The sums of a group (the usage breakdown columns included). */
export interface SpendTotals extends Breakdown {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost_usd: number;
}

export interface SpendReport {
  object: 'spend_report';
  group_by: string;
  from: string;
  to: string;
  data: Array<SpendTotals & { group: string }>;
  total: SpendTotals;
}

const GROUP_COLUMN = { key: 'key_id', team: 'team_id', user: 'user_id', model: 'model', day: "to_char(day, 'YYYY-MM-DD')" } as const;

const SUMS = `coalesce(sum(requests), 0)::float8 as requests, coalesce(sum(prompt_tokens), 0)::float8 as prompt_tokens,
  coalesce(sum(completion_tokens), 0)::float8 as completion_tokens, coalesce(sum(total_tokens), 0)::float8 as total_tokens,
  coalesce(sum(cost_usd), 0)::float8 as cost_usd, ${BREAKDOWN_COLUMNS.map((c) => `coalesce(sum(${c}), 0)::float8 as ${c}`).join(', ')}`;

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export async function spendReport(db: pg.Pool, q: z.infer<typeof SpendQuery>): Promise<SpendReport> {
  const to = q.to ?? isoDay(new Date());
  const from = q.from ?? isoDay(new Date(Date.parse(to) - 29 * 86_400_000));
  const params: unknown[] = [from, to];
  const where = ['day between $1::date and $2::date'];
  const filter = (col: string, v: string | undefined) => {
    if (v === undefined) return;
    params.push(v);
    where.push(`${col} = $${params.length}`);
  };
  filter('key_id', q.key_id);
  filter('team_id', q.team_id);
  filter('user_id', q.user_id);
  filter('model', q.model);
  const group = GROUP_COLUMN[q.group_by];
  const order = q.group_by === 'day' ? 'grp' : 'cost_usd desc, grp';
  params.push(q.limit);
  const rows = (await db.query(`select ${group} as grp, ${SUMS} from spend_daily where ${where.join(' and ')} group by grp order by ${order} limit $${params.length}`, params)).rows as Array<SpendTotals & { grp: string }>;
  const total = (await db.query(`select ${SUMS} from spend_daily where ${where.join(' and ')}`, params.slice(0, -1))).rows[0] as SpendTotals;
  return { object: 'spend_report', group_by: q.group_by, from, to, data: rows.map(({ grp, ...t }) => ({ group: grp, ...t })), total };
}
