/** Gemini errors (`{"error":{"code","message","status"}}`) → catalogue errors. */
import type { GatewayError } from '../../errors/catalogue.js';
import type { Deployment } from '../adapter.js';
import { decideUpstreamError, type ProviderVerdict } from '../common/error-ladder.js';
import { bodySnippet, retryAfterHeaders, tryJson } from '../common/upstream-error-helpers.js';
import type { GeminiErrorBody } from './gemini-wire.js';

export function geminiError(status: number, body: Buffer, headers: Record<string, string | string[] | undefined>, d: Deployment): GatewayError {
  // streamGenerateContent without alt=sse wraps errors in an array; accept both.
  const parsed = tryJson<GeminiErrorBody | GeminiErrorBody[]>(body);
  const e = (Array.isArray(parsed) ? parsed[0] : parsed)?.error;
  const message = e?.message ?? bodySnippet(body);
  const grpc = e?.status;
  // An invalid key is a 400 INVALID_ARGUMENT with this message, not a 401.
  const says: ProviderVerdict | undefined =
    grpc === 'UNAUTHENTICATED' || grpc === 'PERMISSION_DENIED' || /API key not valid/i.test(message) ? 'auth' : grpc === 'RESOURCE_EXHAUSTED' ? 'rate_limit' : undefined;
  return decideUpstreamError({ provider: 'Gemini', status, message, says, label: grpc, retryAfter: retryAfterHeaders(headers) }, d);
}
