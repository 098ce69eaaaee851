import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatUsd, PriceBook } from './cost.js';
import { normaliseModel } from './price-table.js';

const close = (a: number | undefined, b: number) => assert.ok(a !== undefined && Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);

test('normalises provider model ids', () => {
  assert.equal(normaliseModel('us.anthropic.claude-3-5-sonnet-20241022-v2:0'), 'claude-3-5-sonnet-20241022');
  assert.equal(normaliseModel('us.amazon.nova-pro-v1:0'), 'amazon.nova-pro');
  assert.equal(normaliseModel('models/gemini-2.5-flash'), 'gemini-2.5-flash');
  assert.equal(normaliseModel('meta.llama3-1-70b-instruct-v1:0'), 'meta.llama3-1-70b-instruct');
});

test('longest prefix wins and dated versions find their family', () => {
  const book = new PriceBook();
  assert.equal(book.priceOf('gpt-4o-mini-2024-07-18')?.input, 0.15);
  assert.equal(book.priceOf('gpt-4o-2024-08-06')?.input, 2.5);
  assert.equal(book.priceOf('claude-sonnet-4-5-20250929')?.output, 15);
  assert.equal(book.priceOf('us.anthropic.claude-3-5-haiku-20241022-v1:0')?.input, 0.8);
  assert.equal(book.priceOf('gemini-2.5-flash-lite')?.input, 0.1);
  assert.equal(book.priceOf('gpt-4o-mini-transcribe-x')?.input, 0.15);
  assert.equal(book.priceOf('o3x'), undefined, 'a prefix must end at a separator');
  assert.equal(book.priceOf('unknown-model'), undefined);
});

test('cost: cached prompt tokens at the cached price, completion at the output price', () => {
  const book = new PriceBook();
  // gpt-4o: 2.5 in, 10 out, 1.25 cached (per 1M)
  close(book.costOf({ promptTokens: 1000, completionTokens: 500, totalTokens: 1500, cachedPromptTokens: 400 }, { upstreamModel: 'gpt-4o', options: {} }), (600 * 2.5 + 400 * 1.25 + 500 * 10) / 1e6);
  assert.equal(book.costOf({ promptTokens: 1, completionTokens: 1, totalTokens: 2 }, { upstreamModel: 'mystery', options: {} }), undefined);
});

test('config overrides: by model name, and per deployment', () => {
  const book = new PriceBook({ 'gpt-4o': { input: 1, output: 2 }, 'my-finetune': { input: 3, output: 4 } });
  const u = { promptTokens: 1_000_000, completionTokens: 1_000_000, totalTokens: 2_000_000 };
  close(book.costOf(u, { upstreamModel: 'gpt-4o', options: {} }), 3);
  close(book.costOf(u, { upstreamModel: 'ft:gpt-4o:acme', options: {} }, 'my-finetune'), 7);
  close(book.costOf(u, { upstreamModel: 'gpt-4o', options: { pricing: { input: 10, output: 0 } } }), 10);
});

test('formatUsd', () => {
  assert.equal(formatUsd(0.0000123), '0.0000123');
  assert.equal(formatUsd(0), '0');
  assert.equal(formatUsd(1.5), '1.5');
});
