/**
 * The global spend ledger (#14 "one budget across regions"). Lives in the config store (its primary; other
 * regions reach it through Aurora write forwarding, `SKYWAY_LEDGER_DATABASE_URL`). Three tables, all keyed by a
 * budget scope (key/team/user), its period id (admission/plan.ts: d20260131, w20260126, m202601, all):
 *
 * - `budget_scopes`: one row per scope and period: Σ granted to every region, and the budget it was last granted
 *   against. Every grant is one UPDATE of this row (its row lock serializes grants across regions; one statement,
 *   so write forwarding runs it whole on the primary): it never makes Σ granted exceed the budget.
 * - `budget_leases`: per scope, period and region, the micro-USD granted to that region (cumulative) and what it
 *   gave back when the period ended.
 * - `budget_spend`: per scope, period and region, the settled micro-USD, added to in batches (each gateway task
 *   sends one statement per second for all scopes it settled; never an UPDATE per request).
 *
 * Leases and spend are per region rows, so regions never write the same row except through the grant lock.
 * Only the api role writes them (admission/lease-ledger.ts).
 */
import type { MigrationBuilder } from 'node-pg-migrate';

export async function up(pgm: MigrationBuilder): Promise<void> {
  pgm.sql(`
    create table if not exists budget_scopes (
      scope_kind text not null check (scope_kind in ('key', 'team', 'user')),
      scope_id text not null,
      period text not null,
      budget_micro bigint not null,
      granted_micro bigint not null default 0 check (granted_micro >= 0),
      last_grant_micro bigint not null default 0,
      period_end timestamptz,
      updated_at timestamptz not null default now(),
      primary key (scope_kind, scope_id, period)
    );
    create table if not exists budget_leases (
      scope_kind text not null,
      scope_id text not null,
      period text not null,
      region text not null,
      granted_micro bigint not null default 0 check (granted_micro >= 0),
      returned_micro bigint not null default 0 check (returned_micro >= 0),
      grants integer not null default 0,
      period_end timestamptz,
      closed_at timestamptz,
      updated_at timestamptz not null default now(),
      primary key (scope_kind, scope_id, period, region)
    );
    create index if not exists budget_leases_open_by_region on budget_leases (region, period_end) where closed_at is null;
    create table if not exists budget_spend (
      scope_kind text not null,
      scope_id text not null,
      period text not null,
      region text not null,
      spent_micro bigint not null default 0,
      requests bigint not null default 0,
      updated_at timestamptz not null default now(),
      primary key (scope_kind, scope_id, period, region)
    );
  `);
}

export async function down(pgm: MigrationBuilder): Promise<void> {
  pgm.sql('drop table if exists budget_spend; drop table if exists budget_leases; drop table if exists budget_scopes;');
}
