/**
 * POST /v1/images/generations and POST /v1/moderations: deterministic answers in OpenAI's shapes. Images are a
 * 1×1 PNG (`b64_json`, or a URL on request); gpt-image models report token usage as OpenAI's do. Moderations
 * flag an input that contains the word "attack".
 */
import { MockHttpError } from './errors.js';
import { countWords } from './text.js';
import type { Json } from './validate.js';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const CATEGORIES = ['harassment', 'hate', 'self-harm', 'sexual', 'violence'];

export function imagesJson(body: Json): string {
  if (typeof body.prompt !== 'string') throw new MockHttpError(400, "Missing required parameter: 'prompt'.", 'prompt', 'missing_required_parameter');
  const n = typeof body.n === 'number' && body.n > 0 ? Math.min(10, body.n) : 1;
  const asUrl = body.response_format === 'url';
  const data = Array.from({ length: n }, () => (asUrl ? { url: `https://mock.invalid/image.png` } : { b64_json: PNG }));
  const model = typeof body.model === 'string' ? body.model : 'dall-e-2';
  const out: Record<string, unknown> = { created: Math.floor(Date.now() / 1000), data };
  if (model.startsWith('gpt-image')) {
    const text = countWords(body.prompt);
    out.usage = { input_tokens: text, output_tokens: 272 * n, total_tokens: text + 272 * n, input_tokens_details: { text_tokens: text, image_tokens: 0 } };
  }
  return JSON.stringify(out);
}

export function moderationsJson(body: Json): string {
  const input = body.input;
  if (input === undefined) throw new MockHttpError(400, "Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  const texts = Array.isArray(input) ? input.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))) : [String(input)];
  const results = texts.map((t) => {
    const flagged = /\battack\b/i.test(t);
    return {
      flagged,
      categories: Object.fromEntries(CATEGORIES.map((c) => [c, flagged && c === 'violence'])),
      category_scores: Object.fromEntries(CATEGORIES.map((c) => [c, flagged && c === 'violence' ? 0.91 : 0.0001])),
    };
  });
  return JSON.stringify({ id: 'modr-mock', model: typeof body.model === 'string' ? body.model : 'omni-moderation-latest', results });
}
