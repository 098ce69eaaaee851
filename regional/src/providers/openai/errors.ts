/** Maps an OpenAI-compatible upstream's error response to the gateway's error catalogue. */
import type { GatewayError } from '../../errors/catalogue.js';
import type { Deployment } from '../adapter.js';
import { decideUpstreamError } from '../common/error-ladder.js';
import { header } from '../common/upstream-error-helpers.js';

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

export function translateOpenAIError(
  status: number,
  body: Buffer,
  headers: Record<string, string | string[] | undefined>,
  deployment: Deployment,
): GatewayError {
  const e = readUpstreamError(body);
  const retryAfter = header(headers, 'retry-after');
  return decideUpstreamError(
    {
      provider: 'The provider',
      status,
      message: e.message ?? `The provider returned HTTP ${status}.`,
      says: status === 408 || status === 504 ? 'timeout' : undefined,
      type: e.type,
      code: e.code,
      param: e.param,
      retryAfter: retryAfter ? { 'retry-after': retryAfter } : undefined,
    },
    deployment,
  );
}
