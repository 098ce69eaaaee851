/** Azure OpenAI errors (OpenAI's shape plus `innererror`) → catalogue errors. */
import type { GatewayError } from '../../errors/catalogue.js';
import type { Deployment } from '../adapter.js';
import { decideUpstreamError, type ProviderVerdict } from '../common/error-ladder.js';
import { bodySnippet, retryAfterHeaders, tryJson } from '../common/upstream-error-helpers.js';

interface AzureErrorBody {
  error?: { code?: string | null; message?: string; type?: string; param?: string | null; innererror?: { code?: string } };
}

export function azureError(status: number, body: Buffer, headers: Record<string, string | string[] | undefined>, d: Deployment): GatewayError {
  const e = tryJson<AzureErrorBody>(body)?.error;
  const code = e?.code ?? undefined;
  const says: ProviderVerdict | undefined =
    code === 'content_filter' || e?.innererror?.code === 'ResponsibleAIPolicyViolation' ? 'content_filter' : code === 'context_length_exceeded' ? 'context_window' : undefined;
  return decideUpstreamError(
    {
      provider: 'Azure OpenAI',
      status,
      message: e?.message ?? bodySnippet(body),
      says,
      type: e?.type,
      code: status === 404 ? (code === 'DeploymentNotFound' ? 'model_not_found' : (code ?? 'not_found')) : code,
      param: e?.param,
      retryAfter: retryAfterHeaders(headers),
    },
    d,
  );
}
