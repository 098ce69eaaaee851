/**
 * The spend a budget period already has in the Postgres ledger: what Redis is seeded with when it lost the
 * period's counter (restart, eviction). Summed from `spend_daily`, which the usage pipeline's Postgres sink
 * fills in the same statement that inserts each request into the `usage_events` ledger (so a request counts
 * once however often its batch is replayed). Days are UTC, as budget periods (plan.ts) are.
 */
import type pg from 'pg';
import type { ScopeKind } from './types.js';

export interface SpendLedger {
  /** Micro-USD recorded for the scope in the budget period `period` (plan.ts ids: d…, w…, m…, all). */
  spentMicro(kind: ScopeKind, id: string, period: string, signal?: AbortSignal): Promise<number>;
}

const COLUMN: Partial<Record<ScopeKind, string>> = { key: 'key_id', team: 'team_id', user: 'user_id' };
const DAY = 86_400_000;

/** The UTC day range [from, to) of a budget period id, or undefined bounds for a lifetime budget. */
export function periodDays(period: string): { from?: string; to?: string } {
  const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const m = /^([dwm])(\d{4})(\d{2})(\d{2})?$/.exec(period);
  if (period === 'all') return {};
  if (!m) throw new Error(`unknown budget period '${period}'`);
  const y = Number(m[2]);
  const mo = Number(m[3]) - 1;
  const d = Number(m[4] ?? '1');
  const start = Date.UTC(y, mo, d);
  switch (m[1]) {
    case 'd':
      return { from: iso(start), to: iso(start + DAY) };
    case 'w':
      return { from: iso(start), to: iso(start + 7 * DAY) };
    default:
      return { from: iso(start), to: iso(Date.UTC(y, mo + 1, 1)) };
  }
}

export class PostgresSpendLedger implements SpendLedger {
  constructor(private readonly pool: pg.Pool) {}

  async spentMicro(kind: ScopeKind, id: string, period: string, _signal?: AbortSignal): Promise<number> {
    const column = COLUMN[kind];
    if (!column) return 0; // key+model scopes carry no budget
    const { from, to } = periodDays(period);
    // Served by the (key_id|team_id|user_id, day) indexes.
    const r =
      from && to
        ? await this.pool.query<{ usd: string | null }>(`select sum(cost_usd)::text as usd from spend_daily where ${column} = $1 and day >= $2 and day < $3`, [id, from, to])
        : await this.pool.query<{ usd: string | null }>(`select sum(cost_usd)::text as usd from spend_daily where ${column} = $1`, [id]);
    const usd = Number(r.rows[0]?.usd ?? 0);
    return Number.isFinite(usd) && usd > 0 ? Math.round(usd * 1e6) : 0;
  }
}
