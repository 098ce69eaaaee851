/**
 * The one decision ladder every provider's error translator ends in. A translator only reads its provider's
 * error body into an UpstreamErrorReading (status, message, and what the provider's own type or code says);
 * the ladder decides the catalogue error, in the same order for every provider:
 *
 *   auth → rate limit → timeout → server (retryable) → content filter → context window → not found → client
 *
 * so that the router sees the same failure kinds (and fallbacks trigger the same way) whichever provider
 * failed.
 */
import {
  UpstreamAuthFailed,
  UpstreamClientError,
  UpstreamRateLimited,
  UpstreamServerError,
  UpstreamTimeout,
  type GatewayError,
} from '../../errors/catalogue.js';
import type { Deployment } from '../adapter.js';
import { CONTEXT_WINDOW_PATTERN } from './upstream-error-helpers.js';

/** What the provider's own error type or code says, in the ladder's terms. */
export type ProviderVerdict = 'auth' | 'rate_limit' | 'timeout' | 'server' | 'content_filter' | 'context_window' | 'not_found';

export interface UpstreamErrorReading {
  /** The provider, for messages ("Anthropic", "Azure OpenAI"). */
  provider: string;
  status: number;
  message: string;
  says?: ProviderVerdict | undefined;
  /** The provider's error name for messages (`overloaded_error`, `ThrottlingException`). */
  label?: string | undefined;
  /** OpenAI-shape type, code and param to pass on for client errors, when the provider gave them. */
  type?: string | undefined;
  code?: string | undefined;
  param?: string | null | undefined;
  /** `retry-after` to pass on with a rate limit. */
  retryAfter?: Record<string, string> | undefined;
}

/**
 * What a client sees instead of the upstream's words when the deployment hides them (admin-added deployments:
 * an admin chose the URL, so its error bodies may hold anything, from internal host names to echoed secrets).
 */
export function hiddenUpstreamMessage(provider: string, status: number, deploymentId: string): string {
  return `${provider} returned HTTP ${status} on deployment '${deploymentId}' (its error message is not shown for this deployment).`;
}

export function decideUpstreamError(r: UpstreamErrorReading, d: Deployment): GatewayError {
  const { status } = r;
  // The ladder still reads the real message (context-window patterns); only what reaches the client changes.
  const message = d.hideUpstreamErrorBodies ? hiddenUpstreamMessage(r.provider, status, d.id) : r.message;
  if (status === 401 || status === 403 || r.says === 'auth') return new UpstreamAuthFailed(d.id, status);
  if (status === 429 || r.says === 'rate_limit') return new UpstreamRateLimited(`${r.provider} rate limit${r.label ? ` (${r.label})` : ''} on deployment '${d.id}': ${message}`, r.retryAfter);
  if (r.says === 'timeout') return new UpstreamTimeout(d.id, d.timeoutMs);
  if (status >= 500 || r.says === 'server') return new UpstreamServerError(`${r.provider} ${r.label ?? 'error'} (HTTP ${status}) on deployment '${d.id}': ${message}`);
  if (r.says === 'content_filter') return new UpstreamClientError(400, message, 'invalid_request_error', 'content_filter', r.param ?? 'prompt');
  if (r.says === 'context_window' || CONTEXT_WINDOW_PATTERN.test(r.message)) {
    return new UpstreamClientError(400, message, 'invalid_request_error', 'context_length_exceeded', r.param ?? 'messages');
  }
  const clientStatus = status >= 400 && status < 500 ? status : 400;
  if (status === 404 || r.says === 'not_found') return new UpstreamClientError(clientStatus, message, 'invalid_request_error', r.code ?? 'model_not_found', r.param ?? null);
  return new UpstreamClientError(clientStatus, message, r.type ?? 'invalid_request_error', r.code ?? 'upstream_error', r.param ?? null);
}
