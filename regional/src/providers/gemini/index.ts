/**
 * Google Gemini API adapter: OpenAI chat requests → generateContent / streamGenerateContent?alt=sse, tools as
 * functionDeclarations, OpenAI responses and chunks out. Key in `x-goog-api-key`.
 */
import { InvalidRequest } from '../../errors/catalogue.js';
import type { Deployment, ProviderAdapter, RequestContext, UpstreamRequest } from '../adapter.js';
import { splitBase } from '../common/deployment-url.js';
import { geminiError } from './gemini-errors.js';
import { geminiToOpenAIResponse } from './gemini-to-openai-response.js';
import { GeminiToOpenAIStream } from './gemini-to-openai-stream.js';
import { openAIToGeminiRequest } from './openai-to-gemini-request.js';
import { DEFAULT_GEMINI_BASE, geminiOptions } from './options.js';

export const geminiAdapter: ProviderAdapter & { validateDeployment(d: Deployment): void } = {
  name: 'gemini',

  validateDeployment(d) {
    geminiOptions(d);
  },

  buildRequest(ctx: RequestContext, body, _raw, d): UpstreamRequest {
    if (ctx.operation !== 'chat') throw new InvalidRequest(`the Gemini provider supports chat completions only, not ${ctx.operation}`);
    const o = geminiOptions(d);
    const { origin, prefix } = splitBase(d.apiBase || DEFAULT_GEMINI_BASE);
    const model = encodeURIComponent(d.upstreamModel.replace(/^models\//, ''));
    const path = `${prefix}/${o.api_version}/models/${model}:${ctx.stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-goog-api-key': d.apiKey!, ...d.headers };
    return { origin, path, method: 'POST', headers, body: JSON.stringify(openAIToGeminiRequest(body)) };
  },

  translateResponse(ctx, body) {
    return geminiToOpenAIResponse(body, ctx.model, `chatcmpl-${ctx.requestId}`);
  },

  createStreamTranslator(ctx) {
    return new GeminiToOpenAIStream(`chatcmpl-${ctx.requestId}`, ctx.model);
  },

  translateError(status, body, headers, d) {
    return geminiError(status, body, headers, d);
  },
};

export default geminiAdapter;
