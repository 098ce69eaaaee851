/**
 * AWS Bedrock adapter (Converse and ConverseStream): OpenAI chat requests in, SigV4-signed (or Bedrock
 * API key) requests to bedrock-runtime, OpenAI responses and chunks out. Anthropic, Llama, Mistral and Nova
 * models all speak Converse; family differences are handled in the request translator.
 */
import { InvalidRequest } from '../../errors/catalogue.js';
import type { Deployment, ProviderAdapter, RequestContext, UpstreamRequest } from '../adapter.js';
import { splitBase } from '../common/deployment-url.js';
import { bedrockError } from './bedrock-errors.js';
import { bedrockToOpenAIResponse } from './bedrock-to-openai-response.js';
import { BedrockToOpenAIStream } from './bedrock-to-openai-stream.js';
import { openAIToBedrockRequest } from './openai-to-bedrock-request.js';
import { bedrockOptions } from './options.js';
import { signRequest } from './sigv4.js';

export const bedrockAdapter: ProviderAdapter & { validateDeployment(d: Deployment): void } = {
  name: 'bedrock',

  validateDeployment(d) {
    bedrockOptions(d);
  },

  async buildRequest(ctx: RequestContext, body, _raw, d): Promise<UpstreamRequest> {
    if (ctx.operation !== 'chat') throw new InvalidRequest(`the Bedrock provider supports chat completions only, not ${ctx.operation}`);
    const o = bedrockOptions(d);
    const payload = JSON.stringify(openAIToBedrockRequest(body, d.upstreamModel, o));
    const { origin, prefix } = splitBase(o.baseUrl);
    const path = `${prefix}/model/${encodeURIComponent(d.upstreamModel)}/${ctx.stream ? 'converse-stream' : 'converse'}`;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: ctx.stream ? 'application/vnd.amazon.eventstream' : 'application/json',
      ...d.headers,
    };
    if (o.auth === 'api_key') {
      headers.authorization = `Bearer ${d.apiKey}`;
      return { origin, path, method: 'POST', headers, body: payload };
    }
    const signed = await signRequest(o, new URL(origin), path, headers, payload);
    return { origin, path, method: 'POST', headers: signed, body: payload };
  },

  translateResponse(ctx, body) {
    return bedrockToOpenAIResponse(body, ctx.model, `chatcmpl-${ctx.requestId}`);
  },

  createStreamTranslator(ctx) {
    return new BedrockToOpenAIStream(`chatcmpl-${ctx.requestId}`, ctx.model);
  },

  translateError(status, body, headers, d) {
    return bedrockError(status, body, headers, d);
  },
};

export default bedrockAdapter;
