/** Anthropic error responses (`{"type":"error","error":{"type","message"}}`) → catalogue errors. */
import {
  UpstreamAuthFailed,
  UpstreamClientError,
  UpstreamRateLimited,
  UpstreamServerError,
  type GatewayError,
} from '../../errors/catalogue.js';
import type { Deployment } from '../adapter.js';
import type { AnthropicErrorBody } from './anthropic-wire.js';
import { bodySnippet, CONTEXT_WINDOW_PATTERN, retryAfterHeaders, tryJson } from '../common/upstream-error-helpers.js';

/** OpenAI error type/code for an Anthropic error type (used for in-stream errors too). */
export function anthropicErrorKind(type: string | undefined): { type: string; code: string } {
  switch (type) {
    case 'overloaded_error':
      return { type: 'upstream_error', code: 'upstream_overloaded' };
    case 'rate_limit_error':
      return { type: 'rate_limit_error', code: 'upstream_rate_limited' };
    case 'api_error':
      return { type: 'upstream_error', code: 'upstream_server_error' };
    default:
      return { type: 'invalid_request_error', code: 'upstream_error' };
  }
}

export function anthropicError(status: number, body: Buffer, headers: Record<string, string | string[] | undefined>, deployment: Deployment): GatewayError {
  const parsed = tryJson<AnthropicErrorBody>(body);
  const type = parsed?.error?.type;
  const message = parsed?.error?.message ?? bodySnippet(body);
  if (status === 401 || status === 403 || type === 'authentication_error') return new UpstreamAuthFailed(deployment.id, status);
  if (status === 429 || type === 'rate_limit_error') return new UpstreamRateLimited(`Anthropic rate limit: ${message}`, retryAfterHeaders(headers));
  // 529 overloaded_error and 5xx api_error: retryable on another deployment.
  if (status >= 500 || type === 'overloaded_error' || type === 'api_error') {
    return new UpstreamServerError(`Anthropic ${type ?? 'error'} (HTTP ${status}): ${message}`);
  }
  if (CONTEXT_WINDOW_PATTERN.test(message)) {
    return new UpstreamClientError(400, message, 'invalid_request_error', 'context_length_exceeded', 'messages');
  }
  const code = type === 'not_found_error' ? 'model_not_found' : type === 'request_too_large' ? 'request_too_large' : 'upstream_error';
  return new UpstreamClientError(status >= 400 && status < 500 ? status : 400, message, 'invalid_request_error', code);
}
