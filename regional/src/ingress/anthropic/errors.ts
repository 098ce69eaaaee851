/** Ingress: catalogue errors in Anthropic's error shape (`{"type":"error","error":{"type","message"}}`). */
import { MissingApiKey, type GatewayError } from '../../errors/catalogue.js';
import type { AnthropicErrorBody } from '../../providers/anthropic/anthropic-wire.js';

export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

/** Anthropic's SDKs send the key as `x-api-key`: say so, rather than the OpenAI bearer-token advice. */
const NO_KEY_MESSAGE = 'x-api-key header is required: send your Skyway key as `x-api-key: <key>` (or `Authorization: Bearer <key>`).';

export function anthropicErrorBody(err: GatewayError): AnthropicErrorBody {
  const message = err instanceof MissingApiKey ? NO_KEY_MESSAGE : err.message;
  return { type: 'error', error: { type: anthropicErrorType(err.status), message } };
}
