/**
 * OpenAI-style rate-limit headers and the catalogue errors for a rejected admission. The values come from the
 * most constraining scope (lowest remaining) that has the limit.
 */
import { BudgetExceeded, RateLimited } from '../errors/catalogue.js';
import type { GatewayError } from '../errors/catalogue.js';
import type { AdmissionPlan } from './plan.js';
import type { Verdict, WindowStatus } from './types.js';

/** Durations the way OpenAI writes them: `17ms`, `1s`, `6m0s`, `1h2m3s`, `1.5s`. */
export function formatDuration(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const totalS = ms / 1000;
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS - h * 3600) / 60);
  const s = Math.round((totalS - h * 3600 - m * 60) * 1000) / 1000;
  if (h > 0) return `${h}h${m}m${Math.floor(s)}s`;
  if (m > 0) return `${m}m${Math.floor(s)}s`;
  return `${s}s`;
}

export const EMPTY_STATUS: WindowStatus = Object.freeze({
  requestsLimit: -1,
  requestsRemaining: -1,
  requestsResetMs: 0,
  tokensLimit: -1,
  tokensRemaining: -1,
  tokensResetMs: 0,
});

/** The `x-ratelimit-*` headers for a status (only the kinds that are limited). */
export function rateLimitHeaders(s: WindowStatus): Record<string, string> {
  const h: Record<string, string> = {};
  if (s.requestsLimit >= 0) {
    h['x-ratelimit-limit-requests'] = String(s.requestsLimit);
    h['x-ratelimit-remaining-requests'] = String(Math.max(0, s.requestsRemaining));
    h['x-ratelimit-reset-requests'] = formatDuration(s.requestsResetMs);
  }
  if (s.tokensLimit >= 0) {
    h['x-ratelimit-limit-tokens'] = String(s.tokensLimit);
    h['x-ratelimit-remaining-tokens'] = String(Math.max(0, s.tokensRemaining));
    h['x-ratelimit-reset-tokens'] = formatDuration(s.tokensResetMs);
  }
  return h;
}

const SCOPE_NAMES = { key: 'API key', team: 'team', user: 'user', key_model: 'API key for this model' } as const;

/** The catalogue error for a rejection: RateLimited for requests/tokens/parallel, BudgetExceeded for budgets. */
export function rejection(v: Extract<Verdict, { ok: false }>, plan: AdmissionPlan): GatewayError {
  const scope = plan.scopes[v.scope];
  const who = scope ? `${SCOPE_NAMES[scope.kind]} '${scope.id}'` : 'this principal';
  const headers = rateLimitHeaders(v.status);
  if (v.retryAfterMs >= 0) {
    headers['retry-after'] = String(Math.max(1, Math.ceil(v.retryAfterMs / 1000)));
    headers['retry-after-ms'] = String(Math.max(0, Math.ceil(v.retryAfterMs)));
  }
  switch (v.kind) {
    case 'requests':
      return new RateLimited(`Rate limit reached for ${who}: ${scope?.rpm ?? 0} requests per minute. Retry after the time in the retry-after header.`, headers, 'rate_limit_exceeded');
    case 'tokens':
      if (v.retryAfterMs < 0) {
        return new RateLimited(`This request needs ${plan.estTokens} tokens (prompt + max completion), more than the ${scope?.tpm ?? 0} tokens per minute allowed for ${who}. Lower max_tokens or the prompt size.`, headers, 'tokens_exceeded');
      }
      return new RateLimited(`Rate limit reached for ${who}: ${scope?.tpm ?? 0} tokens per minute. Retry after the time in the retry-after header.`, headers, 'rate_limit_exceeded');
    case 'parallel':
      return new RateLimited(`Too many concurrent requests for ${who}: at most ${scope?.maxParallel ?? 0} at once.`, headers, 'concurrency_limit_exceeded');
    case 'budget': {
      const max = scope ? (scope.budgetMicro / 1e6).toFixed(2) : '0';
      return new BudgetExceeded(`Budget exceeded for ${who}: the limit is $${max} per ${scope?.period.startsWith('d') ? 'day' : scope?.period.startsWith('w') ? 'week' : scope?.period.startsWith('m') ? 'month' : 'lifetime'}.`, headers);
    }
  }
}
