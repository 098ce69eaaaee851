/** What admission reserves for the completion: every completion the upstream generates, not only the first. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { imagesWorstUsd, maxCompletion, type PriceLookup } from './admit.js';

test('completion tokens reserved scale with n and best_of', () => {
  assert.equal(maxCompletion('chat', { max_tokens: 100 }, 4096), 100);
  assert.equal(maxCompletion('chat', { max_tokens: 100, n: 128 }, 4096), 12_800);
  assert.equal(maxCompletion('chat', { n: 3 }, 4096), 3 * 4096, 'the default max tokens, per choice');
  assert.equal(maxCompletion('completions', { max_tokens: 10, best_of: 5, n: 2 }, 4096), 50, 'best_of completions are generated and billed');
  assert.equal(maxCompletion('completions', { max_tokens: 10, n: 4, best_of: 1 }, 4096), 40);
  assert.equal(maxCompletion('embeddings', { max_tokens: 10, n: 4 }, 4096), 0);
});

test('an image generation reserves n images at the priciest per-image price the plan may reach', () => {
  const prices: PriceLookup = (m) =>
    m === 'dall-e-3' ? { input: 0, output: 0, perImage: { 'standard/1024x1024': 0.04, 'hd/1024x1024': 0.08, 'hd/1792x1024': 0.12 } as Record<string, number> } : m === 'cheap' ? { input: 0, output: 0, perImage: { default: 0.01 } } : undefined;
  const worst = (body: Record<string, unknown>, models = ['dall-e-3']) => Math.round(imagesWorstUsd({ model: models[0]!, models, body, prices }) * 1e6) / 1e6;
  assert.equal(worst({ size: '1024x1024', quality: 'hd' }), 0.08, 'the variant the request names');
  assert.equal(worst({ size: '1024x1024', quality: 'standard', n: 3 }), 0.12, 'n images');
  assert.equal(worst({}), 0.12, 'no size and quality: the priciest variant');
  assert.equal(worst({ n: 50 }), 1.2, 'n capped at 10');
  assert.equal(worst({ size: '1024x1024', quality: 'standard' }, ['cheap', 'dall-e-3']), 0.04, 'a fallback to a pricier model is covered');
  assert.equal(worst({}, ['gpt-x']), 0, 'no per-image price: tokens only');
});
