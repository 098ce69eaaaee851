/**
 * The sampling and streaming parameters shared by chat completions and completions, with OpenAI's types and
 * ranges, and each endpoint's whole-body validator.
 */
import { badValue, optBool, optInt, optNumber, optObj, optStop, optStr, required, str, arr, type Json } from './checks.js';
import { validateMessages } from './chat-messages.js';
import { validateTools } from './chat-tools.js';

/** `stream`, and `stream_options` only together with `stream: true`. */
export function validateStreaming(body: Json): void {
  const stream = optBool(body, 'stream');
  const so = optObj(body, 'stream_options');
  if (so === undefined) return;
  if (stream !== true) throw badValue('stream_options', "'stream_options' is only allowed when 'stream' is enabled.");
  optBool(so, 'include_usage', 'stream_options.include_usage');
}

function sampling(body: Json): void {
  optNumber(body, 'temperature', 0, 2);
  optNumber(body, 'top_p', 0, 1);
  optInt(body, 'n', 1, 128);
  optNumber(body, 'presence_penalty', -2, 2);
  optNumber(body, 'frequency_penalty', -2, 2);
  optInt(body, 'seed', -(2 ** 63), 2 ** 63); // int64, as OpenAI takes it
  optObj(body, 'logit_bias');
  optStr(body, 'user');
  validateStreaming(body);
}

export function validateChatCompletion(body: Json): void {
  validateMessages(body);
  sampling(body);
  optInt(body, 'max_tokens', 1);
  optInt(body, 'max_completion_tokens', 1);
  const logprobs = optBool(body, 'logprobs');
  const top = optInt(body, 'top_logprobs', 0, 20);
  if (top !== undefined && logprobs !== true) throw badValue('top_logprobs', "'logprobs' must be true when 'top_logprobs' is set.");
  optStop(body, 'stop', 4);
  optObj(body, 'metadata');
  optBool(body, 'store');
  validateTools(body);
}

/** `prompt`: a string, strings, a token array or token arrays. */
function prompt(v: unknown): void {
  if (typeof v === 'string') return;
  const list = arr(v, 'prompt');
  if (list.length === 0) return;
  if (typeof list[0] === 'number') return tokenArray(list, 'prompt');
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (Array.isArray(item)) tokenArray(item, `prompt[${i}]`);
    else str(item, `prompt[${i}]`);
  }
}

export function tokenArray(list: unknown[], param: string): void {
  for (let i = 0; i < list.length; i++) {
    const t = list[i];
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 0) throw badValue(`${param}[${i}]`, 'expected a token id (a non-negative integer).');
  }
}

export function validateCompletion(body: Json): void {
  prompt(required(body, 'prompt'));
  sampling(body);
  optInt(body, 'max_tokens', 0);
  optInt(body, 'logprobs', 0, 5);
  const n = optInt(body, 'n', 1, 128) ?? 1;
  const bestOf = optInt(body, 'best_of', 1, 20);
  if (bestOf !== undefined && bestOf < n) throw badValue('best_of', "'best_of' must be greater than or equal to 'n'.");
  optBool(body, 'echo');
  optStr(body, 'suffix');
  optStop(body, 'stop', 4);
}
