/** Gemini errors (`{"error":{"code","message","status"}}`) → catalogue errors. */
import {
  UpstreamAuthFailed,
  UpstreamClientError,
  UpstreamRateLimited,
  UpstreamServerError,
  type GatewayError,
} from '../../errors/catalogue.js';
import type { Deployment } from '../adapter.js';
import { bodySnippet, CONTEXT_WINDOW_PATTERN, retryAfterHeaders, tryJson } from '../common/upstream-error-helpers.js';
import type { GeminiErrorBody } from './gemini-wire.js';

export function geminiError(status: number, body: Buffer, headers: Record<string, string | string[] | undefined>, d: Deployment): GatewayError {
  // streamGenerateContent without alt=sse wraps errors in an array; accept both.
  const parsed = tryJson<GeminiErrorBody | GeminiErrorBody[]>(body);
  const e = (Array.isArray(parsed) ? parsed[0] : parsed)?.error;
  const message = e?.message ?? bodySnippet(body);
  const grpc = e?.status;
  // An invalid key is a 400 INVALID_ARGUMENT with this message, not a 401.
  if (status === 401 || status === 403 || grpc === 'UNAUTHENTICATED' || grpc === 'PERMISSION_DENIED' || /API key not valid/i.test(message)) {
    return new UpstreamAuthFailed(d.id, status);
  }
  if (status === 429 || grpc === 'RESOURCE_EXHAUSTED') return new UpstreamRateLimited(`Gemini rate limit: ${message}`, retryAfterHeaders(headers));
  if (status >= 500) return new UpstreamServerError(`Gemini ${grpc ?? 'error'} (HTTP ${status}): ${message}`);
  if (CONTEXT_WINDOW_PATTERN.test(message)) return new UpstreamClientError(400, message, 'invalid_request_error', 'context_length_exceeded', 'messages');
  if (status === 404) return new UpstreamClientError(404, message, 'invalid_request_error', 'model_not_found');
  return new UpstreamClientError(status >= 400 && status < 500 ? status : 400, message, 'invalid_request_error', 'upstream_error');
}
