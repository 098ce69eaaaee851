/**
 * The admission contract: what the request path asks before calling a provider (may this principal spend
 * this much now?) and what it reports afterwards (what was actually spent). Reserve-then-settle: admission
 * reserves estimates atomically across every scope that applies; settlement replaces them with actual usage.
 */
import type { Principal } from '../auth/principal.js';

export interface AdmissionRequest {
  /** Unique per request (it names the reservation; a reused id would merge two reservations). */
  readonly requestId: string;
  readonly principal: Principal;
  /** Public model name the client asked for (selects the key+model limits). */
  readonly model: string;
  /** Prompt tokens, counted or estimated (see tokens/). */
  readonly estimatedPromptTokens: number;
  /** `max_tokens`/`max_completion_tokens` of the request, or the gateway's default for the model. */
  readonly maxCompletionTokens: number;
  /** Worst-case cost in USD of this request (prompt + max completion at the model's prices). */
  readonly estimatedCostUsd: number;
}

export interface SettleUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly costUsd: number;
}

export interface AdmissionTicket {
  /** `x-ratelimit-*` headers for the successful response (empty when no limit applies). */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Replace the reservation with actual usage; frees the in-flight slot. Call exactly once when the response
   * ends, also when the client aborts a stream or the upstream fails (with the usage known so far, or zeros).
   * Idempotent: later calls do nothing. Never throws (a failure is logged and counted).
   */
  settle(usage: SettleUsage): void | Promise<void>;
}

export interface Admission {
  /**
   * Check and reserve everything that applies to the principal; throws RateLimited (429), BudgetExceeded
   * (429) or, when the limit store is down and the policy says so, ServiceUnavailable (503).
   */
  admit(req: AdmissionRequest): AdmissionTicket | Promise<AdmissionTicket>;
  /** Readiness: resolves when the backing store answers. */
  check?(): Promise<void>;
  close(): Promise<void>;
}

/** The four kinds of limit; each has its own policy when Redis cannot be reached. */
export type LimitKind = 'requests' | 'tokens' | 'parallel' | 'budget';

/** Which scope a limit belongs to. */
export type ScopeKind = 'key' | 'team' | 'user' | 'key_model';

/**
 * Counters of the most constraining scope, as both implementations report them (−1 = no such limit).
 * Reset values are milliseconds until the oldest counted entry leaves the window.
 */
export interface WindowStatus {
  requestsLimit: number;
  requestsRemaining: number;
  requestsResetMs: number;
  tokensLimit: number;
  tokensRemaining: number;
  tokensResetMs: number;
}

export type Verdict =
  | { readonly ok: true; readonly status: WindowStatus }
  | {
      readonly ok: false;
      readonly kind: LimitKind;
      /** Index into the plan's scopes. */
      readonly scope: number;
      /** Milliseconds until a retry can succeed; −1 when it never can (the request alone exceeds the limit). */
      readonly retryAfterMs: number;
      readonly status: WindowStatus;
    };

/** Minimal logger shape (pino's Logger satisfies it). */
export interface AdmissionLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Hooks the lead binds to prom-client counters/gauges. */
export interface AdmissionMetrics {
  /** A request was decided by a failure policy instead of Redis (policy: local | open | closed). */
  fallback?(kind: LimitKind, policy: FailurePolicy): void;
  /** A Redis call failed. */
  redisError?(op: 'admit' | 'settle'): void;
  /** Degraded mode entered (true) or left (false). */
  degraded?(on: boolean): void;
  /** A request was rejected (kind of limit, scope kind). */
  rejected?(kind: LimitKind, scope: ScopeKind): void;
}

/** What happens to one limit kind while Redis is unreachable. */
export type FailurePolicy = 'local' | 'open' | 'closed';
