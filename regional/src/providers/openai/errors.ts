/** Maps an OpenAI-compatible upstream's error response to the gateway's error catalogue. */
import {
  UpstreamAuthFailed,
  UpstreamClientError,
  UpstreamRateLimited,
  UpstreamServerError,
  UpstreamTimeout,
  type GatewayError,
} from '../../errors/catalogue.js';
import type { Deployment } from '../adapter.js';

interface ErrorShape {
  error?: { message?: unknown; type?: unknown; code?: unknown; param?: unknown } | string;
  message?: unknown;
  detail?: unknown;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : undefined;
}

/** Best-effort reading of the many error bodies OpenAI-compatible servers produce. */
export function readUpstreamError(body: Buffer): { message?: string; type?: string; code?: string; param?: string } {
  const text = body.toString('utf8', 0, Math.min(body.length, 64 * 1024));
  try {
    const parsed = JSON.parse(text) as ErrorShape;
    if (typeof parsed.error === 'string') return { message: parsed.error };
    if (parsed.error && typeof parsed.error === 'object') {
      return { message: str(parsed.error.message), type: str(parsed.error.type), code: str(parsed.error.code), param: str(parsed.error.param) };
    }
    return { message: str(parsed.message) ?? str(parsed.detail) };
  } catch {
    const trimmed = text.trim();
    return trimmed ? { message: trimmed.slice(0, 500) } : {};
  }
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function translateOpenAIError(
  status: number,
  body: Buffer,
  headers: Record<string, string | string[] | undefined>,
  deployment: Deployment,
): GatewayError {
  const e = readUpstreamError(body);
  const message = e.message ?? `The provider returned HTTP ${status}.`;
  if (status === 401 || status === 403) return new UpstreamAuthFailed(deployment.id, status);
  if (status === 429) {
    const retryAfter = header(headers, 'retry-after');
    return new UpstreamRateLimited(`The provider is rate limiting deployment '${deployment.id}': ${message}`, retryAfter ? { 'retry-after': retryAfter } : undefined);
  }
  if (status === 408 || status === 504) return new UpstreamTimeout(deployment.id, deployment.timeoutMs);
  if (status >= 400 && status < 500) return new UpstreamClientError(status, message, e.type ?? 'invalid_request_error', e.code ?? 'upstream_error', e.param ?? null);
  return new UpstreamServerError(`The provider for deployment '${deployment.id}' failed with HTTP ${status}: ${message}`);
}
