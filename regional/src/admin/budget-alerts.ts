/**
 * Soft budget alerts: when the spend of a key, team or user in its current budget period crosses one of its
 * thresholds (fractions of max_usd), emit one alert — once per scope, period and threshold, across replicas
 * (the insert into budget_alerts decides who emits). Enforcement (429) belongs to admission, not here.
 * Periods are UTC calendar days, ISO weeks (Monday) and months; `none` counts all time.
 * With a global config store (issue 14) budgets are read there and spend in the region's own store, so an alert
 * is about the region's spend; the global spend ledger (budgets) is where a cross-region figure lives.
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
  select p.scope, p.id, p.period_start::text as period_start, p.budget_max_usd::float8 as max_usd, p.budget_alert_at as thresholds
  from p`;

/** Spend of each (scope, id) since its period start, from the spend aggregates of the store asked. */
const SPENT_SQL = `
  select x.scope, x.id, (select coalesce(sum(s.cost_usd), 0)::float8 from spend_daily s
      where s.day >= x.period_start and case x.scope when 'key' then s.key_id when 'team' then s.team_id else s.user_id end = x.id) as spent
  from unnest($1::text[], $2::text[], $3::date[]) as x(scope, id, period_start)`;

/**
 * Check every budget once; returns (and records) the alerts that fired now. Budgets come from the config store
 * (`db`); spend and the record of fired alerts from the regional store (`regionalDb`, default `db`: one database).
 */
export async function checkBudgetAlerts(db: pg.Pool, regionalDb: pg.Pool = db): Promise<BudgetAlert[]> {
  const budgets = (await db.query(CHECK_SQL)).rows as Array<{ scope: BudgetAlert['scope']; id: string; period_start: string; max_usd: number; thresholds: number[] }>;
  if (!budgets.length) return [];
  const spentRows = (await regionalDb.query(SPENT_SQL, [budgets.map((b) => b.scope), budgets.map((b) => b.id), budgets.map((b) => b.period_start)])).rows as Array<{ scope: string; id: string; spent: number }>;
  const spentOf = new Map(spentRows.map((r) => [`${r.scope}:${r.id}`, r.spent]));
  const rows = budgets.map((b) => ({ ...b, spent: spentOf.get(`${b.scope}:${b.id}`) ?? 0 }));
  const fired: BudgetAlert[] = [];
  for (const r of rows) {
    for (const threshold of r.thresholds) {
      if (r.spent < threshold * r.max_usd) continue;
      const res = await regionalDb.query(
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
export function startBudgetAlerts(db: pg.Pool, opts: { onAlert: (a: BudgetAlert) => void; onError?: (err: unknown) => void; intervalMs?: number; regionalDb?: pg.Pool }): () => void {
  let busy = false;
  const tick = () => {
    if (busy) return;
    busy = true;
    checkBudgetAlerts(db, opts.regionalDb ?? db)
      .then((alerts) => alerts.forEach(opts.onAlert), (err: unknown) => opts.onError?.(err))
      .finally(() => (busy = false));
  };
  const timer = setInterval(tick, opts.intervalMs ?? 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
