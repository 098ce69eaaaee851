/**
 * The global spend ledger (migration 1734200000001): grants of budget leases to regions, spend reported by
 * regions in batches, and the lease state a region's Redis is rebuilt from. Runs on the config store's primary
 * (`SKYWAY_LEDGER_DATABASE_URL`; in an AWS secondary region, the local cluster with write forwarding).
 *
 * The grant invariant, per scope and period: Σ over regions of what was granted ≤ budget. A region admits only
 * against what it was granted (its Redis checks spent + reserved + worst-case estimate ≤ granted), so the total
 * admitted over all regions never exceeds the budget. Every statement is a single DML statement or a plain
 * read, so Aurora write forwarding (a secondary region) runs each write whole on the primary.
 */
import type pg from 'pg';
import type { ScopeKind } from './types.js';

/** One budget scope and period, as the ledger keys it. */
export interface LedgerScope {
  readonly kind: ScopeKind;
  readonly id: string;
  readonly period: string;
}

export interface GrantRequest extends LedgerScope {
  readonly region: string;
  /** The budget as the principal says now (micro-USD). */
  readonly budgetMicro: number;
  /** End of the period (ms since epoch), undefined for a lifetime budget. */
  readonly periodEndMs: number | undefined;
  /** The least that is useful: below this nothing is granted (the request waiting for it cannot fit). */
  readonly needMicro: number;
  /** What the region would like (one lease chunk). */
  readonly wantMicro: number;
}

export interface GrantResult {
  /** Micro-USD granted by this call (0 when the budget has no room for `needMicro`). */
  readonly grantedMicro: number;
  /** The region's lease after the call: Σ granted − returned for this scope and period. */
  readonly leaseMicro: number;
  /** What was left of the budget for every region before this grant. */
  readonly availableMicro: number;
}

export interface RegionLease {
  /** Σ granted − returned to this region. */
  readonly leaseMicro: number;
  /** Settled spend this region reported. */
  readonly spentMicro: number;
}

export interface SpendDelta extends LedgerScope {
  readonly micro: number;
  readonly requests: number;
}

export interface LeaseLedger {
  grant(req: GrantRequest, signal?: AbortSignal): Promise<GrantResult>;
  regionLease(scope: LedgerScope, region: string, signal?: AbortSignal): Promise<RegionLease>;
  /** Add settled spend (one statement for all scopes). */
  addSpend(region: string, deltas: readonly SpendDelta[]): Promise<void>;
  /** Give back the unused part of this region's leases of periods that ended before `beforeMs`. Returns rows closed. */
  closeEnded(region: string, beforeMs: number): Promise<number>;
  /** Release the connections (when the ledger owns its pool). */
  close?(): Promise<void>;
}

function int(v: string | number | null | undefined): number {
  const n = Number(v ?? 0);
  return Number.isFinite(n) ? n : 0;
}

export class PostgresLeaseLedger implements LeaseLedger {
  constructor(
    private readonly pool: pg.Pool,
    private readonly opts: { ownsPool?: boolean } = {},
  ) {}

  async close(): Promise<void> {
    if (this.opts.ownsPool) await this.pool.end().catch(() => undefined);
  }

  async grant(req: GrantRequest, _signal?: AbortSignal): Promise<GrantResult> {
    // One statement, so one round trip (under Aurora write forwarding, one forwarded statement run whole on the
    // primary). The scope row's upsert takes its row lock (grants of one scope and period are serialized across
    // every region) and computes the grant from the row version it locked: exact without a SELECT … FOR UPDATE
    // followed by a SELECT, whose reads would run on the local replica under write forwarding. Never more than
    // half of what is left (but at least what the waiting request needs, rounded to multiples of it): near the
    // end of a budget no region strands a large lease while another starves, and requests of one size leave no
    // unusable crumbs. The region's lease row adds what was granted and returns its total.
    const grantFrom = (granted: string) => `(case when $5::bigint <= greatest($4::bigint - ${granted}, 0)
        then least(greatest($4::bigint - ${granted}, 0), greatest($5::bigint, least($6::bigint,
             ceil(greatest($4::bigint - ${granted}, 0) / 2.0 / $5::bigint)::bigint * $5::bigint)))
        else 0 end)`;
    const r = await this.pool.query<{ grant: string; available: string; lease: string }>(
      `with s as (
         insert into budget_scopes as b (scope_kind, scope_id, period, budget_micro, period_end, granted_micro, last_grant_micro)
         values ($1, $2, $3, $4, $7, ${grantFrom('0')}, ${grantFrom('0')})
         on conflict (scope_kind, scope_id, period) do update
           set last_grant_micro = ${grantFrom('b.granted_micro')}, granted_micro = b.granted_micro + ${grantFrom('b.granted_micro')},
               budget_micro = $4, updated_at = now()
         returning last_grant_micro, greatest($4::bigint - granted_micro, 0) + last_grant_micro as available
       ), l as (
         insert into budget_leases as x (scope_kind, scope_id, period, region, granted_micro, grants, period_end)
         select $1, $2, $3, $8, s.last_grant_micro, (s.last_grant_micro > 0)::int, $7 from s
         on conflict (scope_kind, scope_id, period, region) do update
           set granted_micro = x.granted_micro + excluded.granted_micro, grants = x.grants + excluded.grants, updated_at = now()
         returning granted_micro - returned_micro as lease
       )
       select s.last_grant_micro::text as grant, s.available::text as available, l.lease::text as lease from s, l`,
      [req.kind, req.id, req.period, req.budgetMicro, Math.max(1, Math.ceil(req.needMicro)), Math.ceil(req.wantMicro), req.periodEndMs === undefined ? null : new Date(req.periodEndMs), req.region],
    );
    const row = r.rows[0];
    return { grantedMicro: int(row?.grant), leaseMicro: int(row?.lease), availableMicro: int(row?.available) };
  }

  async regionLease(scope: LedgerScope, region: string, _signal?: AbortSignal): Promise<RegionLease> {
    const r = await this.pool.query<{ lease: string | null; spent: string | null }>(
      `select (select (granted_micro - returned_micro)::text from budget_leases where scope_kind = $1 and scope_id = $2 and period = $3 and region = $4) as lease,
              (select spent_micro::text from budget_spend where scope_kind = $1 and scope_id = $2 and period = $3 and region = $4) as spent`,
      [scope.kind, scope.id, scope.period, region],
    );
    return { leaseMicro: int(r.rows[0]?.lease), spentMicro: int(r.rows[0]?.spent) };
  }

  async addSpend(region: string, deltas: readonly SpendDelta[]): Promise<void> {
    if (deltas.length === 0) return;
    // One statement for every scope; rows in a fixed order so two tasks' batches never deadlock.
    const sorted = [...deltas].sort((a, b) => (a.kind + a.id + a.period < b.kind + b.id + b.period ? -1 : 1));
    await this.pool.query(
      `insert into budget_spend (scope_kind, scope_id, period, region, spent_micro, requests)
       select k, i, p, $1, m, n from unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[]) as d(k, i, p, m, n)
       on conflict (scope_kind, scope_id, period, region) do update
         set spent_micro = budget_spend.spent_micro + excluded.spent_micro, requests = budget_spend.requests + excluded.requests, updated_at = now()`,
      [region, sorted.map((d) => d.kind), sorted.map((d) => d.id), sorted.map((d) => d.period), sorted.map((d) => d.micro), sorted.map((d) => d.requests)],
    );
  }

  async closeEnded(region: string, beforeMs: number): Promise<number> {
    const r = await this.pool.query(
      `update budget_leases l set returned_micro = greatest(l.granted_micro - coalesce(s.spent_micro, 0), 0), closed_at = now(), updated_at = now()
         from budget_leases l2 left join budget_spend s
           on s.scope_kind = l2.scope_kind and s.scope_id = l2.scope_id and s.period = l2.period and s.region = l2.region
        where l2.scope_kind = l.scope_kind and l2.scope_id = l.scope_id and l2.period = l.period and l2.region = l.region
          and l.region = $1 and l.closed_at is null and l.period_end is not null and l.period_end < $2`,
      [region, new Date(beforeMs)],
    );
    return r.rowCount ?? 0;
  }
}
