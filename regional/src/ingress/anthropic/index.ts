/**
 * Anthropic-compatible ingress (`POST /v1/messages`): Anthropic requests are translated to the canonical
 * OpenAI chat request, routed like any other, and the OpenAI response or stream is translated back.
 */
export { anthropicToOpenAIRequest } from './anthropic-to-openai-request.js';
export { openAIToAnthropicResponse } from './openai-to-anthropic-response.js';
export { createOpenAIToAnthropicStream, OpenAIToAnthropicStream } from './openai-to-anthropic-stream.js';
export { anthropicErrorBody, anthropicErrorType } from './errors.js';
