/**
 * Key, team and user records as the code sees them, and their mapping from Postgres rows. Limits are stored as
 * JSON in the API's shape (`{rpm, tpm, max_parallel}`) and become the Principal's `LimitSet` here.
 */
import type { BudgetSpec, LimitSet } from '../auth/principal.js';

export type BudgetPeriod = BudgetSpec['period'];

/** Limits as stored and as the admin API shows them. */
export interface StoredLimits {
  rpm?: number;
  tpm?: number;
  max_parallel?: number;
}

export interface BudgetColumns {
  budget_max_usd: string | null;
  budget_period: BudgetPeriod;
  budget_alert_at: number[];
}

export interface TeamRow extends BudgetColumns {
  id: string;
  name: string;
  allowed_models: string[] | null;
  limits: StoredLimits;
  archive_payloads: boolean;
  /** Home region of every key of the team without one of its own (data residency). */
  home_region: string | null;
  metadata: Record<string, string>;
  created_at: Date;
  updated_at: Date;
}

export interface UserRow extends BudgetColumns {
  id: string;
  email: string | null;
  name: string | null;
  team_id: string | null;
  limits: StoredLimits;
  metadata: Record<string, string>;
  created_at: Date;
  updated_at: Date;
}

export interface KeyRow extends BudgetColumns {
  id: string;
  key_hash: string;
  signing_secret_version: number;
  alias: string | null;
  team_id: string | null;
  user_id: string | null;
  allowed_models: string[] | null;
  limits: StoredLimits;
  model_limits: Record<string, StoredLimits>;
  expires_at: Date | null;
  revoked_at: Date | null;
  revoked_reason: string | null;
  rotated_from: string | null;
  replaced_by: string | null;
  grace_expires_at: Date | null;
  home_region: string | null;
  archive_payloads: boolean | null;
  metadata: Record<string, string>;
  created_at: Date;
  updated_at: Date;
}

/** A key with its team and user, as the authenticator loads it in one query. */
export interface KeyWithOwners {
  key: KeyRow;
  team: TeamRow | null;
  user: UserRow | null;
}

export function toLimitSet(l: StoredLimits | null | undefined): LimitSet | undefined {
  if (!l) return undefined;
  const out: LimitSet = {};
  if (l.rpm != null) out.rpm = l.rpm;
  if (l.tpm != null) out.tpm = l.tpm;
  if (l.max_parallel != null) out.maxParallel = l.max_parallel;
  return Object.keys(out).length ? out : undefined;
}

export function toBudgetSpec(r: BudgetColumns): BudgetSpec | undefined {
  if (r.budget_max_usd == null) return undefined;
  const spec: BudgetSpec = { maxUsd: Number(r.budget_max_usd), period: r.budget_period };
  if (r.budget_alert_at.length) spec.alertAt = r.budget_alert_at;
  return spec;
}

/** Lifecycle state of a key at `now`. */
export type KeyStatus = 'active' | 'revoked' | 'expired' | 'rotated';

export function keyStatus(k: Pick<KeyRow, 'revoked_at' | 'expires_at' | 'grace_expires_at'>, now = Date.now()): KeyStatus {
  if (k.revoked_at && k.revoked_at.getTime() <= now) return 'revoked';
  if (k.grace_expires_at && k.grace_expires_at.getTime() <= now) return 'rotated';
  if (k.expires_at && k.expires_at.getTime() <= now) return 'expired';
  return 'active';
}

/** Normalise a row read through `row_to_json` (timestamps arrive as strings there). */
export function reviveDates<T extends object>(row: T, fields: readonly string[]): T {
  const r = row as Record<string, unknown>;
  for (const f of fields) if (typeof r[f] === 'string') r[f] = new Date(r[f] as string);
  return row;
}
