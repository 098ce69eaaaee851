/** Anthropic error responses (`{"type":"error","error":{"type","message"}}`) → catalogue errors. */
import type { GatewayError } from '../../errors/catalogue.js';
import type { Deployment } from '../adapter.js';
import type { AnthropicErrorBody } from './anthropic-wire.js';
import { decideUpstreamError, type ProviderVerdict } from '../common/error-ladder.js';
import { bodySnippet, retryAfterHeaders, tryJson } from '../common/upstream-error-helpers.js';

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
  const says: ProviderVerdict | undefined =
    type === 'authentication_error' ? 'auth' : type === 'rate_limit_error' ? 'rate_limit' : type === 'overloaded_error' || type === 'api_error' ? 'server' : type === 'not_found_error' ? 'not_found' : undefined;
  return decideUpstreamError(
    { provider: 'Anthropic', status, message: parsed?.error?.message ?? bodySnippet(body), says, label: type, code: type === 'request_too_large' ? 'request_too_large' : undefined, retryAfter: retryAfterHeaders(headers) },
    deployment,
  );
}
