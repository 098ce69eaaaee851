/**
 * The Anthropic Messages ingress as the request pipeline sees it: parse an Anthropic request into the canonical
 * OpenAI chat request, and turn the canonical response, stream and errors back into Anthropic's shapes.
 */
import type { GatewayError } from '../../errors/catalogue.js';
import type { Ingress } from '../../pipeline/ingress.js';
import type { OAIChatCompletion } from '../../providers/common/openai-wire.js';
import { parseJsonObject, validateAnthropicMessages, type ParsedRequest } from '../../validation/index.js';
import { anthropicToOpenAIRequest } from './anthropic-to-openai-request.js';
import { anthropicErrorBody } from './errors.js';
import { countCanonicalPrompt } from './input-tokens.js';
import { openAIToAnthropicResponse } from './openai-to-anthropic-response.js';
import { createOpenAIToAnthropicStream } from './openai-to-anthropic-stream.js';

export const anthropicIngress: Ingress = {
  name: 'anthropic',
  parse(raw) {
    const body = parseJsonObject(raw);
    validateAnthropicMessages(body);
    const canonical = anthropicToOpenAIRequest(body) as unknown as Record<string, unknown>;
    const parsed: ParsedRequest = { body: canonical, model: canonical.model as string, stream: canonical.stream === true };
    // A stream's message_start carries input_tokens, before the upstream reports usage: count them meanwhile.
    if (parsed.stream) {
      const n = countCanonicalPrompt(parsed.model, canonical);
      if (typeof n === 'number') parsed.promptTokens = n;
      else n.then((v) => (parsed.promptTokens = v), () => undefined);
    }
    return parsed;
  },
  response(openai, model) {
    const parsed = JSON.parse(typeof openai === 'string' ? openai : openai.toString('utf8')) as OAIChatCompletion;
    return JSON.stringify(openAIToAnthropicResponse(parsed, model));
  },
  stream(model, parsed) {
    return createOpenAIToAnthropicStream(model, () => parsed?.promptTokens);
  },
  error(e: GatewayError) {
    return JSON.stringify(anthropicErrorBody(e));
  },
  streamError(e: GatewayError) {
    return `event: error\ndata: ${JSON.stringify(anthropicErrorBody(e))}\n\n`;
  },
};
