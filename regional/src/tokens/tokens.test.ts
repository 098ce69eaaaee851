import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { TokenCounter, tokenizerFamily } from './index.js';

const pooled = new TokenCounter({ inlineChars: 0, threads: 1 });
const inline = new TokenCounter({ inlineChars: Number.MAX_SAFE_INTEGER });
after(() => Promise.all([pooled.close(), inline.close()]));

test('model families: o200k, cl100k, approximations for the rest', () => {
  for (const m of ['gpt-4o', 'gpt-4o-mini-2024-07-18', 'gpt-4.1-nano', 'gpt-5', 'gpt-5-mini', 'o1', 'o3-mini', 'o4-mini', 'openai/gpt-4o']) assert.equal(tokenizerFamily(m), 'o200k', m);
  for (const m of ['gpt-3.5-turbo', 'gpt-4', 'gpt-4-turbo', 'gpt-4-0613', 'azure/gpt-35-turbo', 'text-embedding-3-small']) assert.equal(tokenizerFamily(m), 'cl100k', m);
  for (const m of ['claude-3-5-sonnet', 'llama-3.1-70b', 'gemini-2.0-flash', 'omni-model']) assert.equal(tokenizerFamily(m), 'approx', m);
});

test('text counts match the tokenizer; approximations are chars/4', async () => {
  const text = 'Skyway counts tokens so that admission can reserve them. <|endoftext|> is plain text here.';
  assert.equal(inline.countTextTokens('gpt-4o', text), countTokens(text, { disallowedSpecial: new Set() }));
  assert.equal(await pooled.countTextTokens('gpt-4o', text), inline.countTextTokens('gpt-4o', text));
  assert.equal(inline.countTextTokens('claude-3-opus', 'x'.repeat(41)), 11);
});

test('chat messages: text parts, names, tool calls and images plus the per-message overhead', async () => {
  const messages = [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', name: 'ann', content: [{ type: 'text', text: 'What is in this image?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
    { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":"cat"}' } }] },
  ];
  const t = (s: string) => countTokens(s);
  const expected = 3 * 3 + 3 + 1 + 85 + t('system') + t('You are terse.') + t('user') + t('ann') + t('What is in this image?') + t('assistant') + t('lookup') + t('{"q":"cat"}');
  assert.equal(inline.countPromptTokens('gpt-4o', messages), expected);
  assert.equal(await pooled.countPromptTokens('gpt-4o', messages), expected);
});

test('adversarial input is bounded: one 200 KB word, and text beyond the exact-count cap', async () => {
  let word = '';
  for (let i = 0; i < 200_000; i++) word += String.fromCharCode(97 + ((i * 7919) % 26));
  const n = await pooled.countTextTokens('gpt-4o', word);
  assert.ok(n > 200_000 / 8 && n < 200_000, `plausible count ${n}`);
  const capped = new TokenCounter({ maxExactChars: 1000, inlineChars: Number.MAX_SAFE_INTEGER });
  const prose = 'The quick brown fox jumps over the lazy dog. '.repeat(1000);
  assert.equal(capped.countTextTokens('gpt-4o', prose), countTokens(prose.slice(0, 1000)) + Math.ceil((prose.length - 1000) / 4));
  await capped.close();
});
