/** Bedrock error responses (`{"message": …}` + `x-amzn-errortype`) and stream exceptions → catalogue errors. */
import type { GatewayError } from '../../errors/catalogue.js';
import type { Deployment } from '../adapter.js';
import { decideUpstreamError, type ProviderVerdict } from '../common/error-ladder.js';
import { bodySnippet, header, retryAfterHeaders, tryJson } from '../common/upstream-error-helpers.js';

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
  const type = bedrockErrorType(headers, parsed);
  const kind = bedrockErrorKind(type);
  const says: ProviderVerdict | undefined = /^(AccessDenied|UnrecognizedClient|ExpiredToken|InvalidSignature)/.test(type)
    ? 'auth'
    : kind.code === 'upstream_rate_limited'
      ? 'rate_limit'
      : status === 424 || status === 408 || kind.retryable
        ? 'server'
        : type === 'ResourceNotFoundException'
          ? 'not_found'
          : undefined;
  return decideUpstreamError({ provider: 'Bedrock', status, message: parsed?.message ?? parsed?.Message ?? bodySnippet(body), says, label: type || undefined, retryAfter: retryAfterHeaders(headers) }, d);
}
