/**
 * The Anthropic Messages ingress as the request pipeline sees it: parse an Anthropic request into the canonical
 * OpenAI chat request, and turn the canonical response, stream and errors back into Anthropic's shapes.
 */
import { InvalidJson, InvalidRequest, type GatewayError } from '../../errors/catalogue.js';
import type { Ingress } from '../../pipeline/ingress.js';
import type { OAIChatCompletion } from '../../providers/common/openai-wire.js';
import { anthropicToOpenAIRequest } from './anthropic-to-openai-request.js';
import { anthropicErrorBody } from './errors.js';
import { openAIToAnthropicResponse } from './openai-to-anthropic-response.js';
import { createOpenAIToAnthropicStream } from './openai-to-anthropic-stream.js';

export const anthropicIngress: Ingress = {
  name: 'anthropic',
  parse(raw) {
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw new InvalidJson((err as Error).message);
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidRequest('The request body must be a JSON object.', null, 'invalid_body');
    const canonical = anthropicToOpenAIRequest(body as Record<string, unknown>) as unknown as Record<string, unknown>;
    return { body: canonical, model: canonical.model as string, stream: canonical.stream === true };
  },
  response(openai, model) {
    const parsed = JSON.parse(typeof openai === 'string' ? openai : openai.toString('utf8')) as OAIChatCompletion;
    return JSON.stringify(openAIToAnthropicResponse(parsed, model));
  },
  stream(model) {
    return createOpenAIToAnthropicStream(model);
  },
  error(e: GatewayError) {
    return JSON.stringify(anthropicErrorBody(e));
  },
  streamError(e: GatewayError) {
    return `event: error\ndata: ${JSON.stringify(anthropicErrorBody(e))}\n\n`;
  },
};
