/** POST /v1/embeddings: deterministic unit vectors, as float arrays or base64 (little-endian float32). */
import { MockHttpError } from './errors.js';
import { countWords, hash32, prng } from './text.js';
import { optionalInt, requirePresent, requireString, type Json } from './validate.js';

/** The width of text-embedding-3-small, which the mock imitates when `dimensions` is absent. */
export const DEFAULT_DIMENSIONS = 1536;

function inputs(input: unknown): { text: string; tokens: number }[] {
  const one = (v: unknown): { text: string; tokens: number } => {
    if (typeof v === 'string') return { text: v, tokens: countWords(v) };
    if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return { text: v.join(' '), tokens: v.length };
    throw new MockHttpError(400, "'input' must be a string, an array of strings, or token arrays", 'input', 'invalid_type');
  };
  if (Array.isArray(input)) {
    if (input.length === 0) throw new MockHttpError(400, "'input' must not be empty", 'input', 'invalid_value');
    if (input.every((x) => typeof x === 'number')) return [one(input)];
    return input.map(one);
  }
  return [one(input)];
}

function vector(text: string, dims: number): Float32Array {
  const next = prng(hash32(text));
  const v = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    const x = next() * 2 - 1;
    v[i] = x;
    norm += x * x;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < dims; i++) v[i] = v[i]! * scale;
  return v;
}

export function embeddingsJson(body: Json): string {
  const model = requireString(body, 'model');
  const list = inputs(requirePresent(body, 'input'));
  const dims = optionalInt(body, 'dimensions', 1, 8192) ?? DEFAULT_DIMENSIONS;
  const format = body.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') {
    throw new MockHttpError(400, "'encoding_format' must be 'float' or 'base64'", 'encoding_format', 'invalid_value');
  }
  let tokens = 0;
  const data = list.map((item, index) => {
    tokens += item.tokens;
    const v = vector(item.text, dims);
    const embedding = format === 'base64' ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.from(v);
    return { object: 'embedding', index, embedding };
  });
  return JSON.stringify({ object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } });
}

/** GET /v1/models. */
export function modelsJson(): string {
  const created = 1700000000;
  return JSON.stringify({
    object: 'list',
    data: ['mock-1', 'mock-embed'].map((id) => ({ id, object: 'model', created, owned_by: 'skyway-mock' })),
  });
}
