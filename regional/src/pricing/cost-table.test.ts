/**
 * The cost table: usages as providers report them (the `usage` objects of recorded responses and streams),
 * through each adapter's own usage reading, priced by the built-in table, compared with what the provider's
 * bill shows for that request, to the micro-dollar. The arithmetic of each bill is in the row's note.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Usage } from '../providers/adapter.js';
import { anthropicUsage } from '../providers/anthropic/anthropic-to-openai-response.js';
import { AnthropicToOpenAIStream } from '../providers/anthropic/anthropic-to-openai-stream.js';
import { bedrockUsage } from '../providers/bedrock/bedrock-to-openai-response.js';
import { geminiUsage } from '../providers/gemini/gemini-to-openai-response.js';
import { GeminiToOpenAIStream } from '../providers/gemini/gemini-to-openai-stream.js';
import { SseUsageSniffer, usageFromJson } from '../providers/openai/usage.js';
import { PriceBook } from './cost.js';

interface Row {
  provider: string;
  model: string;
  usage: () => Usage | undefined;
  /** The bill, in micro-dollars (USD × 1e6), rounded as the provider's invoice lines are. */
  billMicros: number;
  note: string;
}

const openaiJson = (usage: object) => () => usageFromJson(Buffer.from(JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', choices: [], usage })));
const openaiStream = (usage: object) => () => {
  const s = new SseUsageSniffer();
  const frame = `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [], usage })}\n\ndata: [DONE]\n\n`;
  // Split inside the usage object, as a network read may.
  const cut = frame.indexOf('cached_tokens');
  s.observe(Buffer.from(frame.slice(0, cut)));
  s.observe(Buffer.from(frame.slice(cut)));
  return s.usage;
};
const anthropicStream = (start: object, delta: object) => () => {
  const t = new AnthropicToOpenAIStream('id', 'm');
  const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  t.push(Buffer.from(ev('message_start', { message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: 'm', stop_reason: null, stop_sequence: null, usage: start } })));
  t.push(Buffer.from(ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: delta }) + ev('message_stop', {})));
  t.end();
  return t.usage;
};
const geminiStream = (usageMetadata: object) => () => {
  const t = new GeminiToOpenAIStream('id', 'm');
  t.push(Buffer.from(`data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'Hi' }] } }] })}\r\n\r\n`));
  t.push(Buffer.from(`data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: '!' }] }, finishReason: 'STOP' }], usageMetadata })}\r\n\r\n`));
  t.end();
  return t.usage;
};

const rows: Row[] = [
  {
    provider: 'openai',
    model: 'gpt-4o-2024-08-06',
    usage: openaiJson({ prompt_tokens: 2006, completion_tokens: 300, total_tokens: 2306, prompt_tokens_details: { cached_tokens: 1920, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } }),
    billMicros: 5615,
    note: '86 × 2.50 + 1920 × 1.25 + 300 × 10 = 215 + 2400 + 3000',
  },
  {
    provider: 'openai (stream)',
    model: 'o4-mini-2025-04-16',
    usage: openaiStream({ prompt_tokens: 1200, completion_tokens: 1800, total_tokens: 3000, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 1536 } }),
    billMicros: 9240,
    note: '1200 × 1.10 + 1800 × 4.40 (reasoning billed as output) = 1320 + 7920',
  },
  {
    provider: 'azure',
    model: 'gpt-4.1-mini',
    usage: openaiJson({ prompt_tokens: 3000, completion_tokens: 100, total_tokens: 3100, prompt_tokens_details: { cached_tokens: 2048 } }),
    billMicros: 746,
    note: '952 × 0.40 + 2048 × 0.10 + 100 × 1.60 = 380.8 + 204.8 + 160',
  },
  {
    provider: 'anthropic',
    model: 'claude-sonnet-4-5-20250929',
    usage: () => anthropicUsage({ input_tokens: 12, cache_creation_input_tokens: 2048, cache_read_input_tokens: 0, output_tokens: 150 }),
    billMicros: 9966,
    note: '12 × 3 + 2048 × 3.75 (5-minute write) + 150 × 15 = 36 + 7680 + 2250',
  },
  {
    provider: 'anthropic',
    model: 'claude-sonnet-4-5-20250929',
    usage: () => anthropicUsage({ input_tokens: 15, cache_creation_input_tokens: 0, cache_read_input_tokens: 2048, output_tokens: 80 }),
    billMicros: 1859,
    note: '15 × 3 + 2048 × 0.30 + 80 × 15 = 45 + 614.4 + 1200',
  },
  {
    provider: 'anthropic (stream)',
    model: 'claude-haiku-4-5-20251001',
    usage: anthropicStream(
      { input_tokens: 10, cache_creation_input_tokens: 4000, cache_read_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 4000 }, output_tokens: 1 },
      { output_tokens: 20 },
    ),
    billMicros: 8110,
    note: '10 × 1 + 4000 × 2 (1-hour write) + 20 × 5 = 10 + 8000 + 100',
  },
  {
    provider: 'bedrock',
    model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0',
    usage: () => bedrockUsage({ inputTokens: 20, outputTokens: 50, totalTokens: 1570, cacheReadInputTokens: 0, cacheWriteInputTokens: 1500 }),
    billMicros: 1716,
    note: '20 × 0.80 + 1500 × 1.00 + 50 × 4 = 16 + 1500 + 200',
  },
  {
    provider: 'bedrock',
    model: 'us.amazon.nova-pro-v1:0',
    usage: () => bedrockUsage({ inputTokens: 100, outputTokens: 200, totalTokens: 1300, cacheReadInputTokens: 1000 }),
    billMicros: 920,
    note: '100 × 0.80 + 1000 × 0.20 + 200 × 3.20 = 80 + 200 + 640',
  },
  {
    provider: 'gemini',
    model: 'gemini-2.5-flash',
    usage: () => geminiUsage({ promptTokenCount: 5000, cachedContentTokenCount: 4096, candidatesTokenCount: 200, thoughtsTokenCount: 800, totalTokenCount: 6000 }),
    billMicros: 3078,
    note: '904 × 0.30 + 4096 × 0.075 + (200 + 800 thinking) × 2.50 = 271.2 + 307.2 + 2500',
  },
  {
    provider: 'gemini (stream)',
    model: 'gemini-2.5-pro',
    usage: geminiStream({ promptTokenCount: 1000, candidatesTokenCount: 50, thoughtsTokenCount: 450, totalTokenCount: 1500 }),
    billMicros: 6250,
    note: '1000 × 1.25 + (50 + 450 thinking) × 10 = 1250 + 5000',
  },
  {
    provider: 'vertex (anthropic)',
    model: 'claude-sonnet-4-5@20250929',
    usage: () => anthropicUsage({ input_tokens: 1000, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 100 }),
    billMicros: 4500,
    note: '1000 × 3 + 100 × 15',
  },
];

describe('cost table: recorded usages priced as the provider bills them', () => {
  const book = new PriceBook();
  for (const r of rows) {
    test(`${r.provider} ${r.model}: ${r.note}`, () => {
      const usage = r.usage();
      assert.ok(usage, 'the adapter read no usage');
      const cost = book.costOf(usage, { upstreamModel: r.model, options: {} });
      assert.ok(cost !== undefined, `no price for ${r.model}`);
      assert.equal(Math.round(cost * 1e6), r.billMicros, `cost ${cost}`);
    });
  }

  test('a deployment override prices every kind', () => {
    const usage = anthropicUsage({ input_tokens: 100, cache_creation_input_tokens: 1000, cache_read_input_tokens: 10_000, output_tokens: 10 })!;
    const options = { pricing: { input: 1, output: 2, cached_input: 0.5, cache_write: 4 } };
    // 100 × 1 + 10000 × 0.5 + 1000 × 4 + 10 × 2
    assert.equal(Math.round(book.costOf(usage, { upstreamModel: 'claude-sonnet-4-5', options })! * 1e6), 9120);
  });
});
