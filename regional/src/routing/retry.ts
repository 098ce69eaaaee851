/** Retry arithmetic and the mapping from errors to routing outcomes. */
import { GatewayError, UpstreamAuthFailed, UpstreamClientError, UpstreamRateLimited, UpstreamServerError, UpstreamTimeout, UpstreamUnavailable } from '../errors/catalogue.js';
import type { FailureKind, Outcome, RetryPolicy } from './types.js';

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, sameDeploymentRetries: 1, baseDelayMs: 200, maxDelayMs: 5_000, maxRetryAfterMs: 20_000 };

/** Exponential backoff with "equal jitter": half fixed, half random, so retries spread out but never vanish. */
export function backoffMs(retry: number, p: RetryPolicy, random: () => number): number {
  const cap = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return cap / 2 + random() * (cap / 2);
}

/** `retry-after` as seconds or an HTTP date → ms (undefined when absent or unreadable). */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const s = Number(value);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const t = Date.parse(value);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_CONNECT_TIMEOUT']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT', 'ABORT_ERR']);

export function failureKind(err: unknown): FailureKind {
  if (err instanceof UpstreamRateLimited) return 'rate_limit';
  if (err instanceof UpstreamServerError) return 'server';
  if (err instanceof UpstreamUnavailable) return 'connect';
  if (err instanceof UpstreamTimeout) return 'timeout';
  if (err instanceof UpstreamAuthFailed) return 'auth';
  if (err instanceof UpstreamClientError) {
    if (err.code === 'context_length_exceeded') return 'context_window';
    if (err.code === 'content_filter' || err.code === 'content_policy_violation') return 'content_policy';
    return 'client';
  }
  if (err instanceof GatewayError) return err.status >= 500 ? 'server' : 'client';
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) return 'timeout';
  if (typeof code === 'string' && CONNECT_CODES.has(code)) return 'connect';
  return 'connect';
}

/** The outcome to report for an error thrown by (or translated from) an upstream call. */
export function outcomeFromError(err: unknown, afterFirstByte = false): Outcome {
  const kind = failureKind(err);
  const retryAfterMs = err instanceof GatewayError ? parseRetryAfter(err.headers?.['retry-after']) : undefined;
  return { ok: false, kind, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}), ...(afterFirstByte ? { afterFirstByte } : {}) };
}
