/**
 * Who is calling: the result of authentication, read by admission (limits, budgets), routing (model access)
 * and the usage pipeline (attribution). Built once per key and cached; never mutated per request.
 */

/** Limits that apply to one scope (a key, a team, a user, or a model within a key). Absent = unlimited. */
export interface LimitSet {
  /** Requests per minute. */
  rpm?: number;
  /** Tokens (prompt + completion) per minute. */
  tpm?: number;
  /** Requests in flight at once. */
  maxParallel?: number;
}

export interface BudgetSpec {
  /** Maximum spend in USD within one period. */
  maxUsd: number;
  /** When the spend counter starts again. */
  period: 'daily' | 'weekly' | 'monthly' | 'none';
  /** Soft-alert thresholds as fractions of maxUsd (e.g. [0.5, 0.8, 1]). */
  alertAt?: number[];
}

export interface ScopeRef {
  id: string;
  limits?: LimitSet;
  budget?: BudgetSpec;
}

export interface Principal {
  /** `master` = the master key (no limits); `virtual` = a virtual key. */
  kind: 'master' | 'virtual';
  /** Virtual key id (the public part of the key), null for the master key. */
  keyId: string | null;
  /** Human name/alias of the key, for logs and reports. */
  keyAlias?: string;
  key?: ScopeRef;
  team?: ScopeRef;
  user?: ScopeRef;
  /** Public model names this principal may use; undefined = all. */
  allowedModels?: ReadonlySet<string>;
  /** Per-model limits for this key, by public model name. */
  modelLimits?: Readonly<Record<string, LimitSet>>;
  /** Region the key is pinned to (data residency), when set. */
  homeRegion?: string;
  /** Whether request/response payloads are archived for this principal. */
  archivePayloads?: boolean;
  metadata?: Readonly<Record<string, string>>;
}

export const MASTER_PRINCIPAL: Principal = Object.freeze({ kind: 'master', keyId: null });

/**
 * Turns the bearer token of a request into a Principal or throws a catalogue error (401/403).
 * Returns synchronously when the answer is cached, so the hot path does not allocate a promise.
 */
export interface Authenticator {
  authenticate(token: string | undefined): Principal | Promise<Principal>;
  /** Whether the authenticator's backing stores answer (readiness). */
  check?(): Promise<void>;
  close?(): Promise<void>;
}
