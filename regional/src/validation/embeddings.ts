/**
 * `/v1/embeddings` by OpenAI's rules: `input` a non-empty string, or a non-empty array (at most 2,048 items) of
 * non-empty strings, of token ids, or of non-empty token arrays; `dimensions` a positive integer up to
 * MAX_EMBEDDING_DIMENSIONS; `encoding_format` float or base64; no `stream` (embeddings do not stream: a client
 * that asked for SSE would fail on a JSON answer).
 */
import { arr, badValue, oneOf, optInt, optStr, required, type Json } from './checks.js';
import { tokenArray } from './openai-params.js';

export const MAX_EMBEDDING_INPUTS = 2048;
/**
 * Above any embedding model's size (OpenAI's largest is 3,072; others reach 4,096): a huge `dimensions` is junk
 * that an upstream would either refuse or try to allocate, so it is refused before any call.
 */
export const MAX_EMBEDDING_DIMENSIONS = 16_384;

function input(v: unknown): void {
  if (typeof v === 'string') {
    if (v.length === 0) throw badValue('input', "'input' cannot be an empty string.");
    return;
  }
  const list = arr(v, 'input', 1, MAX_EMBEDDING_INPUTS);
  if (typeof list[0] === 'number') return tokenArray(list, 'input');
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    const param = `input[${i}]`;
    if (typeof item === 'string') {
      if (item.length === 0) throw badValue(param, 'expected a non-empty string.');
    } else if (Array.isArray(item)) {
      if (item.length === 0) throw badValue(param, 'expected a non-empty token array.');
      tokenArray(item, param);
    } else {
      throw badValue(param, 'expected a string or a token array (integers).');
    }
  }
}

export function validateEmbeddings(body: Json): void {
  input(required(body, 'input'));
  optInt(body, 'dimensions', 1, MAX_EMBEDDING_DIMENSIONS);
  if (body.stream !== undefined && body.stream !== null && body.stream !== false) throw badValue('stream', 'embeddings do not stream; omit stream or set it to false.');
  if (body.encoding_format !== undefined && body.encoding_format !== null) oneOf(body.encoding_format, 'encoding_format', ['float', 'base64']);
  optStr(body, 'user');
}
