/** The request checks the gateway makes itself before spending anything upstream. */
import { InvalidJson, InvalidRequest, MissingParameter } from '../errors/catalogue.js';
import type { Operation } from '../providers/adapter.js';

export interface ParsedRequest {
  body: Record<string, unknown>;
  model: string;
  stream: boolean;
}

export function parseRequestBody(raw: Buffer, op: Operation): ParsedRequest {
  if (raw.length === 0) throw new InvalidRequest('The request body is empty; send a JSON object.', null, 'empty_body');
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new InvalidJson((err as Error).message);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidRequest('The request body must be a JSON object.', null, 'invalid_body');
  }
  const b = body as Record<string, unknown>;
  const model = b.model;
  if (model === undefined || model === null || model === '') throw new MissingParameter('model');
  if (typeof model !== 'string') throw new InvalidRequest(`'model' must be a string.`, 'model', 'invalid_type');
  if (op === 'chat') {
    if (b.messages === undefined) throw new MissingParameter('messages');
    if (!Array.isArray(b.messages)) throw new InvalidRequest(`'messages' must be an array.`, 'messages', 'invalid_type');
    if (b.messages.length === 0) throw new InvalidRequest(`'messages' must contain at least one message.`, 'messages', 'empty_array');
  } else if (op === 'completions') {
    if (b.prompt === undefined) throw new MissingParameter('prompt');
  } else if (op === 'embeddings') {
    if (b.input === undefined) throw new MissingParameter('input');
  }
  const stream = b.stream;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') {
    throw new InvalidRequest(`'stream' must be a boolean.`, 'stream', 'invalid_type');
  }
  return { body: b, model, stream: op !== 'embeddings' && stream === true };
}
