/** Azure OpenAI errors (OpenAI's shape plus `innererror`) → catalogue errors. */
import {
  UpstreamAuthFailed,
  UpstreamClientError,
  UpstreamRateLimited,
  UpstreamServerError,
  type GatewayError,
} from '../../errors/catalogue.js';
import type { Deployment } from '../adapter.js';
import { bodySnippet, CONTEXT_WINDOW_PATTERN, retryAfterHeaders, tryJson } from '../common/upstream-error-helpers.js';

interface AzureErrorBody {
  error?: { code?: string | null; message?: string; type?: string; param?: string | null; innererror?: { code?: string } };
}

export function azureError(status: number, body: Buffer, headers: Record<string, string | string[] | undefined>, d: Deployment): GatewayError {
  const e = tryJson<AzureErrorBody>(body)?.error;
  const message = e?.message ?? bodySnippet(body);
  const code = e?.code ?? undefined;
  if (status === 401 || status === 403) return new UpstreamAuthFailed(d.id, status);
  if (status === 429) return new UpstreamRateLimited(`Azure OpenAI rate limit: ${message}`, retryAfterHeaders(headers));
  if (status >= 500) return new UpstreamServerError(`Azure OpenAI error (HTTP ${status}): ${message}`);
  if (code === 'content_filter' || e?.innererror?.code === 'ResponsibleAIPolicyViolation') {
    return new UpstreamClientError(400, message, 'invalid_request_error', 'content_filter', e?.param ?? 'prompt');
  }
  if (code === 'context_length_exceeded' || CONTEXT_WINDOW_PATTERN.test(message)) {
    return new UpstreamClientError(400, message, 'invalid_request_error', 'context_length_exceeded', e?.param ?? 'messages');
  }
  if (status === 404) return new UpstreamClientError(404, message, 'invalid_request_error', code === 'DeploymentNotFound' ? 'model_not_found' : code ?? 'not_found');
  return new UpstreamClientError(status >= 400 && status < 500 ? status : 400, message, e?.type ?? 'invalid_request_error', code ?? 'upstream_error', e?.param ?? null);
}
