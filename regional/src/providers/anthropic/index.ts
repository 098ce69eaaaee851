/**
 * Anthropic Messages API adapter: OpenAI chat requests in, Anthropic `/v1/messages` upstream, OpenAI
 * responses and chunks out.
 *
 * @example config
 *   provider: anthropic
 *   api_base: https://api.anthropic.com/v1
 *   options: { anthropic_version: "2023-06-01", default_max_tokens: 4096 }
 */
import { InvalidRequest } from '../../errors/catalogue.js';
import type { Deployment, ProviderAdapter, RequestContext, UpstreamRequest } from '../adapter.js';
import { anthropicError } from './anthropic-errors.js';
import { anthropicToOpenAIResponse } from './anthropic-to-openai-response.js';
import { AnthropicToOpenAIStream } from './anthropic-to-openai-stream.js';
import { splitBase } from '../common/deployment-url.js';
import { openAIToAnthropicRequest } from './openai-to-anthropic-request.js';
import { anthropicOptions } from './options.js';

export const DEFAULT_ANTHROPIC_BASE = 'https://api.anthropic.com/v1';

export const anthropicAdapter: ProviderAdapter & { validateDeployment(d: Deployment): void } = {
  name: 'anthropic',

  validateDeployment(d) {
    anthropicOptions(d);
  },

  buildRequest(ctx: RequestContext, body, _raw, d): UpstreamRequest {
    if (ctx.operation !== 'chat') throw new InvalidRequest(`the Anthropic provider supports chat completions only, not ${ctx.operation}`);
    const opts = anthropicOptions(d);
    const req = openAIToAnthropicRequest(body, d.upstreamModel, { defaultMaxTokens: opts.default_max_tokens });
    const { origin, prefix } = splitBase(d.apiBase || DEFAULT_ANTHROPIC_BASE);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'anthropic-version': opts.anthropic_version,
      ...d.headers,
    };
    if (d.apiKey) headers['x-api-key'] = d.apiKey;
    if (opts.anthropic_beta) headers['anthropic-beta'] = Array.isArray(opts.anthropic_beta) ? opts.anthropic_beta.join(',') : opts.anthropic_beta;
    if (ctx.stream) headers.accept = 'text/event-stream';
    return { origin, path: `${prefix}/messages`, method: 'POST', headers, body: JSON.stringify(req) };
  },

  translateResponse(ctx, body) {
    return anthropicToOpenAIResponse(body, ctx.model);
  },

  createStreamTranslator(ctx) {
    return new AnthropicToOpenAIStream(`chatcmpl-${ctx.requestId}`, ctx.model);
  },

  translateError(status, body, headers, d) {
    return anthropicError(status, body, headers, d);
  },
};

export default anthropicAdapter;
