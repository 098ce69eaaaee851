/**
 * Budget use for the console: how much of a key's or a team's budget is spent in its current period, and when
 * the period resets. Read from the `spend_daily` aggregates (settled spend, UTC days), the same rows the
 * admission ledger sums, so the console shows what admission enforces (less what is in flight).
 *
 * One query per distinct budget period among the subjects (at most four), whatever their number.
 */
import type pg from 'pg';
import { periodDays } from '../../admission/ledger.js';
import { budgetPeriod } from '../../admission/plan.js';
import type { BudgetColumns, BudgetPeriod } from '../../keys/records.js';

export interface BudgetUse {
  max_usd: number;
  period: BudgetPeriod;
  spent_usd: number;
  /** `max_usd - spent_usd`, never below 0. */
  left_usd: number;
  /** First UTC day of the current period; null for a lifetime budget (period `none`). */
  period_start: string | null;
  /** When the period ends and spending counts from 0 again; null for a lifetime budget. */
  resets_at: string | null;
}

export type BudgetSubject = { id: string } & Pick<BudgetColumns, 'budget_max_usd' | 'budget_period'>;

/** Spend so far in each subject's current budget period, by subject id. Subjects without a budget are absent. */
export async function budgetUse(db: pg.Pool | pg.PoolClient, column: 'key_id' | 'team_id', subjects: readonly BudgetSubject[], now = Date.now()): Promise<Map<string, BudgetUse>> {
  const out = new Map<string, BudgetUse>();
  const byPeriod = new Map<BudgetPeriod, BudgetSubject[]>();
  for (const s of subjects) {
    if (s.budget_max_usd == null) continue;
    byPeriod.set(s.budget_period, [...(byPeriod.get(s.budget_period) ?? []), s]);
  }
  for (const [period, group] of byPeriod) {
    const p = budgetPeriod(period, now);
    const { from, to } = periodDays(p.id);
    const params: unknown[] = [group.map((s) => s.id)];
    let where = `${column} = any($1::text[])`;
    if (from) where += ` and day >= $${params.push(from)}::date`;
    if (to) where += ` and day < $${params.push(to)}::date`;
    const rows = (await db.query(`select ${column} as id, coalesce(sum(cost_usd), 0)::float8 as spent from spend_daily where ${where} group by 1`, params)).rows as Array<{ id: string; spent: number }>;
    const spent = new Map(rows.map((r) => [r.id, Number(r.spent)]));
    for (const s of group) {
      const max = Number(s.budget_max_usd);
      const used = spent.get(s.id) ?? 0;
      out.set(s.id, {
        max_usd: max,
        period,
        spent_usd: used,
        left_usd: Math.max(0, max - used),
        period_start: from ?? null,
        resets_at: period === 'none' ? null : new Date(now + p.remainingMs).toISOString(),
      });
    }
  }
  return out;
}
