/**
 * Turns a principal and a model into the list of scopes whose limits apply to one request. Both limiter
 * implementations consume the same plan, so they agree on what is checked.
 */
import type { BudgetSpec, LimitSet, Principal } from '../auth/principal.js';
import type { AdmissionRequest, ScopeKind } from './types.js';

export interface ScopePlan {
  readonly kind: ScopeKind;
  readonly id: string;
  /** −1 = no limit of that kind. */
  readonly rpm: number;
  readonly tpm: number;
  readonly maxParallel: number;
  /** Budget in micro-USD (integer), −1 = none. */
  readonly budgetMicro: number;
  /** Budget period bucket (e.g. `d20250131`), '' when no budget. */
  readonly period: string;
  /** Milliseconds until the budget period ends, 0 for `none`. */
  readonly periodRemainingMs: number;
}

export interface AdmissionPlan {
  readonly scopes: readonly ScopePlan[];
  /** Estimated prompt + completion tokens. */
  readonly estTokens: number;
  /** Estimated cost in micro-USD (rounded up). */
  readonly estMicro: number;
}

const DAY = 86_400_000;

/** USD → integer micro-USD; estimates round up so a reservation never under-reserves. */
export function toMicro(usd: number, roundUp: boolean): number {
  if (!Number.isFinite(usd) || usd <= 0) return 0;
  return roundUp ? Math.ceil(usd * 1e6 - 1e-9) : Math.round(usd * 1e6);
}

/** The last period computed per kind: [start, end) and its id. Every admission and settlement asks, twice per request. */
const lastPeriod = new Map<BudgetSpec['period'], { start: number; end: number; id: string }>();

/** The period bucket a budget counts into at `now`, and how long until it ends (UTC calendar periods). */
export function budgetPeriod(period: BudgetSpec['period'], now: number): { id: string; remainingMs: number } {
  if (period === 'none') return { id: 'all', remainingMs: 0 };
  const last = lastPeriod.get(period);
  if (last && now >= last.start && now < last.end) return { id: last.id, remainingMs: last.end - now };
  const p = computePeriod(period, now);
  lastPeriod.set(period, { start: p.start, end: now + p.remainingMs, id: p.id });
  return { id: p.id, remainingMs: p.remainingMs };
}

function computePeriod(period: Exclude<BudgetSpec['period'], 'none'>, now: number): { id: string; remainingMs: number; start: number } {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const day = d.getUTCDate();
  const pad = (n: number) => String(n).padStart(2, '0');
  switch (period) {
    case 'daily': {
      const start = Date.UTC(y, m, day);
      return { id: `d${y}${pad(m + 1)}${pad(day)}`, remainingMs: start + DAY - now, start };
    }
    case 'weekly': {
      // ISO weeks start on Monday.
      const dow = (d.getUTCDay() + 6) % 7;
      const start = Date.UTC(y, m, day - dow);
      const s = new Date(start);
      return { id: `w${s.getUTCFullYear()}${pad(s.getUTCMonth() + 1)}${pad(s.getUTCDate())}`, remainingMs: start + 7 * DAY - now, start };
    }
    case 'monthly':
      return { id: `m${y}${pad(m + 1)}`, remainingMs: Date.UTC(y, m + 1, 1) - now, start: Date.UTC(y, m, 1) };
  }
}

function limit(v: number | undefined): number {
  return v === undefined || !Number.isFinite(v) || v < 0 ? -1 : Math.floor(v);
}

function scope(kind: ScopeKind, id: string, limits: LimitSet | undefined, budget: BudgetSpec | undefined, now: number): ScopePlan | undefined {
  const rpm = limit(limits?.rpm);
  const tpm = limit(limits?.tpm);
  const maxParallel = limit(limits?.maxParallel);
  let budgetMicro = -1;
  let period = '';
  let periodRemainingMs = 0;
  if (budget && Number.isFinite(budget.maxUsd) && budget.maxUsd >= 0) {
    budgetMicro = toMicro(budget.maxUsd, false);
    const p = budgetPeriod(budget.period, now);
    period = p.id;
    periodRemainingMs = p.remainingMs;
  }
  if (rpm < 0 && tpm < 0 && maxParallel < 0 && budgetMicro < 0) return undefined;
  return { kind, id, rpm, tpm, maxParallel, budgetMicro, period, periodRemainingMs };
}

/** The scopes that limit this request: key, team, user, key+model — only those with at least one limit. */
export function planAdmission(req: AdmissionRequest, now: number): AdmissionPlan {
  const p: Principal = req.principal;
  const scopes: ScopePlan[] = [];
  if (p.kind !== 'master') {
    const keyId = p.key?.id ?? p.keyId;
    if (keyId) {
      const k = scope('key', keyId, p.key?.limits, p.key?.budget, now);
      if (k) scopes.push(k);
      const ml = p.modelLimits?.[req.model];
      const km = ml && scope('key_model', `${keyId}:${req.model}`, ml, undefined, now);
      if (km) scopes.push(km);
    }
    const t = p.team && scope('team', p.team.id, p.team.limits, p.team.budget, now);
    if (t) scopes.push(t);
    const u = p.user && scope('user', p.user.id, p.user.limits, p.user.budget, now);
    if (u) scopes.push(u);
  }
  const est = Math.max(0, Math.ceil(req.estimatedPromptTokens || 0)) + Math.max(0, Math.ceil(req.maxCompletionTokens || 0));
  return { scopes, estTokens: est, estMicro: toMicro(req.estimatedCostUsd, true) };
}
