/** POST /v1/embeddings: deterministic unit vectors, as float arrays or base64 (little-endian float32). */
import { validateOpenAIRequest } from '../../regional/src/validation/index.js';
import { countWords, hash32, prng } from './text.js';
import type { EmbeddingRequest } from './types.js';
import type { Json } from './validate.js';

/** The width of text-embedding-3-small, which the mock imitates when `dimensions` is absent. */
export const DEFAULT_DIMENSIONS = 1536;

/** The texts to embed (the request is valid: validateOpenAIRequest checked it). */
function inputs(input: EmbeddingRequest['input']): { text: string; tokens: number }[] {
  const one = (v: string | number[]) => (typeof v === 'string' ? { text: v, tokens: countWords(v) } : { text: v.join(' '), tokens: v.length });
  if (typeof input === 'string') return [one(input)];
  if (typeof input[0] === 'number') return [one(input as number[])];
  return (input as Array<string | number[]>).map(one);
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
  const model = validateOpenAIRequest(body, 'embeddings');
  const req = body as unknown as EmbeddingRequest;
  const list = inputs(req.input);
  const dims = req.dimensions ?? DEFAULT_DIMENSIONS;
  const format = req.encoding_format ?? 'float';
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
