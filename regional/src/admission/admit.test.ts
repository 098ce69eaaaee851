/** What admission reserves for the completion: every completion the upstream generates, not only the first. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maxCompletion } from './admit.js';

test('completion tokens reserved scale with n and best_of', () => {
  assert.equal(maxCompletion('chat', { max_tokens: 100 }, 4096), 100);
  assert.equal(maxCompletion('chat', { max_tokens: 100, n: 128 }, 4096), 12_800);
  assert.equal(maxCompletion('chat', { n: 3 }, 4096), 3 * 4096, 'the default max tokens, per choice');
  assert.equal(maxCompletion('completions', { max_tokens: 10, best_of: 5, n: 2 }, 4096), 50, 'best_of completions are generated and billed');
  assert.equal(maxCompletion('completions', { max_tokens: 10, n: 4, best_of: 1 }, 4096), 40);
  assert.equal(maxCompletion('embeddings', { max_tokens: 10, n: 4 }, 4096), 0);
});
