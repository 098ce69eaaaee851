/**
 * Vertex AI adapter: Gemini models through generateContent / streamGenerateContent?alt=sse, and Anthropic
 * models through rawPredict / streamRawPredict (the Messages body with `anthropic_version: vertex-2023-10-16`
 * and no `model`). The translators are the Gemini and Anthropic ones; only the URL, the body's version field
 * and the Google OAuth token differ.
 *
 * @example config
 *   provider: vertex
 *   model: claude-sonnet-4-5@20250929
 *   options: { project: my-project, location: us-east5, credentials_file: /etc/skyway/gcp.json }
 */
import { InvalidRequest } from '../../errors/catalogue.js';
import type { Deployment, ProviderAdapter, RequestContext, UpstreamRequest } from '../adapter.js';
import { anthropicError } from '../anthropic/anthropic-errors.js';
import { anthropicToOpenAIResponse } from '../anthropic/anthropic-to-openai-response.js';
import { AnthropicToOpenAIStream } from '../anthropic/anthropic-to-openai-stream.js';
import { openAIToAnthropicRequest } from '../anthropic/openai-to-anthropic-request.js';
import { splitBase } from '../common/deployment-url.js';
import { geminiError } from '../gemini/gemini-errors.js';
import { geminiToOpenAIResponse } from '../gemini/gemini-to-openai-response.js';
import { GeminiToOpenAIStream } from '../gemini/gemini-to-openai-stream.js';
import { openAIToGeminiRequest } from '../gemini/openai-to-gemini-request.js';
import { googleAccessToken } from './google-token.js';
import { vertexOptions } from './options.js';

function upstreamBody(ctx: RequestContext, body: Record<string, unknown>, d: Deployment): string {
  const o = vertexOptions(d);
  if (o.publisher === 'google') return JSON.stringify(openAIToGeminiRequest(body));
  const { model: _model, ...messages } = openAIToAnthropicRequest(body, d.upstreamModel, { defaultMaxTokens: o.default_max_tokens });
  return JSON.stringify({ anthropic_version: o.anthropic_version, ...messages, ...(ctx.stream ? { stream: true } : {}) });
}

function method(ctx: RequestContext, publisher: 'google' | 'anthropic'): string {
  if (publisher === 'google') return ctx.stream ? ':streamGenerateContent?alt=sse' : ':generateContent';
  return ctx.stream ? ':streamRawPredict' : ':rawPredict';
}

export const vertexAdapter: ProviderAdapter & { validateDeployment(d: Deployment): void } = {
  name: 'vertex',

  validateDeployment(d) {
    vertexOptions(d);
  },

  async buildRequest(ctx, body, _raw, d): Promise<UpstreamRequest> {
    if (ctx.operation !== 'chat') throw new InvalidRequest(`the Vertex AI provider supports chat completions only, not ${ctx.operation}`);
    const o = vertexOptions(d);
    const payload = upstreamBody(ctx, body, d);
    const token = await googleAccessToken(d.id, o.credentials_file);
    const { origin, prefix } = splitBase(o.baseUrl);
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...d.headers };
    if (ctx.stream) headers.accept = 'text/event-stream';
    return { origin, path: `${prefix}${o.modelPath}${method(ctx, o.publisher)}`, method: 'POST', headers, body: payload };
  },

  translateResponse(ctx, body, d) {
    const id = `chatcmpl-${ctx.requestId}`;
    return vertexOptions(d).publisher === 'google' ? geminiToOpenAIResponse(body, ctx.model, id) : anthropicToOpenAIResponse(body, ctx.model);
  },

  createStreamTranslator(ctx, d) {
    const id = `chatcmpl-${ctx.requestId}`;
    return vertexOptions(d).publisher === 'google' ? new GeminiToOpenAIStream(id, ctx.model) : new AnthropicToOpenAIStream(id, ctx.model);
  },

  translateError(status, body, headers, d) {
    return vertexOptions(d).publisher === 'google' ? geminiError(status, body, headers, d) : anthropicError(status, body, headers, d);
  },
};

export default vertexAdapter;
