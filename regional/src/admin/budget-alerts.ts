/**
 * Soft budget alerts: when the spend of a key, team or user in its current budget period crosses one of its
 * thresholds (fractions of max_usd), emit one alert — once per scope, period and threshold, across replicas
 * (the insert into budget_alerts decides who emits). Enforcement (429) belongs to admission, not here.
 * Periods are UTC calendar days, ISO weeks (Monday) and months; `none` counts all time.
 */
import type pg from 'pg';

export interface BudgetAlert {
  scope: 'key' | 'team' | 'user';
  id: string;
  periodStart: string;
  threshold: number;
  spentUsd: number;
  maxUsd: number;
}

const CHECK_SQL = `
  with b as (
    select 'key' as scope, id, budget_max_usd, budget_period, budget_alert_at from virtual_keys
      where budget_max_usd is not null and cardinality(budget_alert_at) > 0 and revoked_at is null
    union all select 'team', id, budget_max_usd, budget_period, budget_alert_at from teams
      where budget_max_usd is not null and cardinality(budget_alert_at) > 0
    union all select 'user', id, budget_max_usd, budget_period, budget_alert_at from users
      where budget_max_usd is not null and cardinality(budget_alert_at) > 0
  ), p as (
    select b.*, case budget_period
      when 'daily' then (now() at time zone 'utc')::date
      when 'weekly' then date_trunc('week', now() at time zone 'utc')::date
      when 'monthly' then date_trunc('month', now() at time zone 'utc')::date
      else date '1970-01-01' end as period_start
    from b
  )
  select p.scope, p.id, p.period_start::text as period_start, p.budget_max_usd::float8 as max_usd, p.budget_alert_at as thresholds,
    (select coalesce(sum(s.cost_usd), 0)::float8 from spend_daily s
      where s.day >= p.period_start and case p.scope when 'key' then s.key_id when 'team' then s.team_id else s.user_id end = p.id) as spent
  from p`;

/** Check every budget once; returns (and records) the alerts that fired now. */
export async function checkBudgetAlerts(db: pg.Pool): Promise<BudgetAlert[]> {
  const rows = (await db.query(CHECK_SQL)).rows as Array<{ scope: BudgetAlert['scope']; id: string; period_start: string; max_usd: number; thresholds: number[]; spent: number }>;
  const fired: BudgetAlert[] = [];
  for (const r of rows) {
    for (const threshold of r.thresholds) {
      if (r.spent < threshold * r.max_usd) continue;
      const res = await db.query(
        'insert into budget_alerts (scope_type, scope_id, period_start, threshold, spent_usd, max_usd) values ($1, $2, $3, $4, $5, $6) on conflict do nothing',
        [r.scope, r.id, r.period_start, threshold, r.spent, r.max_usd],
      );
      if (res.rowCount) fired.push({ scope: r.scope, id: r.id, periodStart: r.period_start, threshold, spentUsd: r.spent, maxUsd: r.max_usd });
    }
  }
  return fired;
}

/**
 * Run checkBudgetAlerts every `intervalMs` (default 60 s) in the admin role; `onAlert` logs or forwards each
 * alert. Returns a stop function.
 */
export function startBudgetAlerts(db: pg.Pool, opts: { onAlert: (a: BudgetAlert) => void; onError?: (err: unknown) => void; intervalMs?: number }): () => void {
  let busy = false;
  const tick = () => {
    if (busy) return;
    busy = true;
    checkBudgetAlerts(db)
      .then((alerts) => alerts.forEach(opts.onAlert), (err: unknown) => opts.onError?.(err))
      .finally(() => (busy = false));
  };
  const timer = setInterval(tick, opts.intervalMs ?? 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
