/** Bedrock error responses (`{"message": …}` + `x-amzn-errortype`) and stream exceptions → catalogue errors. */
import {
  UpstreamAuthFailed,
  UpstreamClientError,
  UpstreamRateLimited,
  UpstreamServerError,
  type GatewayError,
} from '../../errors/catalogue.js';
import type { Deployment } from '../adapter.js';
import { bodySnippet, CONTEXT_WINDOW_PATTERN, header, retryAfterHeaders, tryJson } from '../common/upstream-error-helpers.js';

/** `ValidationException:http://internal.amazon.com/...` → `ValidationException`. */
export function bedrockErrorType(headers: Record<string, string | string[] | undefined>, body: { __type?: string } | undefined): string {
  const raw = header(headers, 'x-amzn-errortype') ?? body?.__type ?? '';
  return raw.split(':')[0]!.split('#').pop()!;
}

/** Exception name (either case of the first letter, as headers and stream events differ) → OpenAI type/code. */
export function bedrockErrorKind(type: string): { type: string; code: string; retryable: boolean } {
  const t = type.charAt(0).toUpperCase() + type.slice(1);
  if (t === 'ThrottlingException' || t === 'ServiceQuotaExceededException' || t === 'ModelNotReadyException') {
    return { type: 'rate_limit_error', code: 'upstream_rate_limited', retryable: true };
  }
  if (/^(InternalServer|ServiceUnavailable|ModelStreamError|ModelError|ModelTimeout)Exception$/.test(t)) {
    return { type: 'upstream_error', code: 'upstream_server_error', retryable: true };
  }
  return { type: 'invalid_request_error', code: 'upstream_error', retryable: false };
}

export function bedrockError(status: number, body: Buffer, headers: Record<string, string | string[] | undefined>, d: Deployment): GatewayError {
  const parsed = tryJson<{ message?: string; Message?: string; __type?: string }>(body);
  const message = parsed?.message ?? parsed?.Message ?? bodySnippet(body);
  const type = bedrockErrorType(headers, parsed);
  if (status === 401 || status === 403 || /^(AccessDenied|UnrecognizedClient|ExpiredToken|InvalidSignature)/.test(type)) {
    return new UpstreamAuthFailed(d.id, status);
  }
  const kind = bedrockErrorKind(type);
  if (status === 429 || kind.code === 'upstream_rate_limited') return new UpstreamRateLimited(`Bedrock ${type || 'throttling'}: ${message}`, retryAfterHeaders(headers));
  if (status >= 500 || status === 424 || status === 408 || kind.retryable) return new UpstreamServerError(`Bedrock ${type || 'error'} (HTTP ${status}): ${message}`);
  if (CONTEXT_WINDOW_PATTERN.test(message)) return new UpstreamClientError(400, message, 'invalid_request_error', 'context_length_exceeded', 'messages');
  if (status === 404 || type === 'ResourceNotFoundException') return new UpstreamClientError(404, message, 'invalid_request_error', 'model_not_found');
  return new UpstreamClientError(status >= 400 && status < 500 ? status : 400, message, 'invalid_request_error', 'upstream_error');
}
