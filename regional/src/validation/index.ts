/**
 * Request validation: everything the gateway checks itself before spending anything upstream. A body is parsed
 * with a nesting limit (bounded-json.ts), then checked by its endpoint's validator with the provider's own
 * rules, so a client gets the provider's 400 (with `param` naming the path) at once and for free.
 *
 * @example
 * const { body, model, stream } = parseRequestBody(raw, 'chat'); // throws catalogue errors (400)
 */
import { InvalidRequest, MissingParameter } from '../errors/catalogue.js';
import type { Operation } from '../providers/adapter.js';
import { parseJsonObject } from './bounded-json.js';
import { validateEmbeddings } from './embeddings.js';
import { validateChatCompletion, validateCompletion } from './openai-params.js';

export { MAX_JSON_DEPTH, jsonDepth, parseJsonObject } from './bounded-json.js';
export { validateAnthropicMessages } from './anthropic-messages.js';
export { validateEmbeddings } from './embeddings.js';
export { validateResponsesRequest } from './responses.js';
export { validateChatCompletion, validateCompletion } from './openai-params.js';

export interface ParsedRequest {
  body: Record<string, unknown>;
  model: string;
  stream: boolean;
  /** Prompt tokens counted by the gateway, when an ingress needs them before the upstream reports usage. */
  promptTokens?: number;
}

/** Operations whose body reaches parseRequestBody; the others are parsed and checked by their ingress. */
type ValidatedOperation = 'chat' | 'completions' | 'embeddings';
const VALIDATORS: Record<ValidatedOperation, (body: Record<string, unknown>) => void> = {
  chat: validateChatCompletion,
  completions: validateCompletion,
  embeddings: validateEmbeddings,
};

/** The model name every endpoint requires. */
export function requireModel(body: Record<string, unknown>): string {
  const model = body.model;
  if (model === undefined || model === null || model === '') throw new MissingParameter('model');
  if (typeof model !== 'string') throw new InvalidRequest(`'model' must be a string.`, 'model', 'invalid_type');
  return model;
}

/** Check an already parsed OpenAI request body for `op` (throws catalogue errors). */
export function validateOpenAIRequest(body: Record<string, unknown>, op: Operation): string {
  const model = requireModel(body);
  const validate = VALIDATORS[op as ValidatedOperation];
  if (!validate) throw new Error(`no validator for operation '${op}': its ingress must parse it`);
  validate(body);
  return model;
}

/** Parse (bounded) and validate an OpenAI request body for `op`. */
export function parseRequestBody(raw: Buffer, op: Operation): ParsedRequest {
  const body = parseJsonObject(raw);
  const model = validateOpenAIRequest(body, op);
  return { body, model, stream: op !== 'embeddings' && body.stream === true };
}
