/**
 * Recorded usages per provider, JSON and streamed, with the bill each would show: the input of the usage
 * breakdown test. The bytes are the recordings under regional/test/fixtures/providers/; where no recording
 * carries a token kind (OpenAI cached and reasoning tokens, Bedrock cache writes), a recording's usage object
 * is replaced by one in the provider's documented wire shape, and the case says so. Expected figures are
 * written out by hand from prices.json (USD per 1M tokens = micro-dollars per token), with the arithmetic.
 */
import { eventStream } from '../../../../test-support/providers-recorded.js';
import { fixture } from '../../../../test-support/providers-fake-upstream.js';
import type { UsageTokens } from '../event.js';

export interface BreakdownCase {
  name: string;
  provider: string;
  /** The deployment's upstream model (prices are found by it). */
  model: string;
  options?: Record<string, unknown>;
  stream: boolean;
  bytes: Buffer;
  tokens: Required<UsageTokens>;
  /** Micro-dollars per kind; their sum is the bill. */
  micros: { input: number; cachedInput: number; cacheWrite: number; output: number; reasoning: number };
  note: string;
}

const NONE = { cached: 0, cacheWrite: 0, cacheWrite1h: 0, reasoning: 0 };

/** A recorded body whose `"usage":{…}` (the last occurrence, or the first) is replaced by `usage`. */
function withUsage(path: string, usage: object, which: 'first' | 'last' = 'last'): Buffer {
  const text = fixture(path).toString('utf8');
  const at = which === 'last' ? text.lastIndexOf('"usage":{') : text.indexOf('"usage":{');
  let depth = 0;
  let end = at + 8;
  for (; end < text.length; end++) {
    if (text[end] === '{') depth++;
    else if (text[end] === '}' && --depth === 0) break;
  }
  return Buffer.from(text.slice(0, at) + '"usage":' + JSON.stringify(usage) + text.slice(end + 1));
}

export const CASES: BreakdownCase[] = [
  {
    name: 'openai json: cached prompt tokens',
    provider: 'openai',
    model: 'gpt-4o-2024-08-06',
    stream: false,
    bytes: withUsage('azure/chat-text.json', { prompt_tokens: 2006, completion_tokens: 300, total_tokens: 2306, prompt_tokens_details: { cached_tokens: 1920, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } }),
    tokens: { ...NONE, prompt: 2006, completion: 300, cached: 1920 },
    micros: { input: 215, cachedInput: 2400, cacheWrite: 0, output: 3000, reasoning: 0 },
    note: 'recorded body, OpenAI usage: 86 × 2.50 + 1920 × 1.25 + 300 × 10',
  },
  {
    name: 'openai stream: reasoning tokens',
    provider: 'openai',
    model: 'o4-mini-2025-04-16',
    stream: true,
    bytes: withUsage('azure/chat-stream.sse', { prompt_tokens: 1200, completion_tokens: 1800, total_tokens: 3000, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 1536 } }),
    tokens: { ...NONE, prompt: 1200, completion: 1800, reasoning: 1536 },
    micros: { input: 1320, cachedInput: 0, cacheWrite: 0, output: 1161.6, reasoning: 6758.4 },
    note: 'recorded stream, OpenAI usage chunk: 1200 × 1.10 + 264 × 4.40 + 1536 × 4.40 (reasoning billed as output)',
  },
  {
    name: 'azure json',
    provider: 'azure',
    model: 'gpt-4o-2024-08-06',
    options: { api_version: '2024-10-21' },
    stream: false,
    bytes: fixture('azure/chat-text.json'),
    tokens: { ...NONE, prompt: 19, completion: 9 },
    micros: { input: 47.5, cachedInput: 0, cacheWrite: 0, output: 90, reasoning: 0 },
    note: '19 × 2.50 + 9 × 10',
  },
  {
    name: 'azure stream',
    provider: 'azure',
    model: 'gpt-4o-2024-08-06',
    options: { api_version: '2024-10-21' },
    stream: true,
    bytes: fixture('azure/chat-stream.sse'),
    tokens: { ...NONE, prompt: 11, completion: 5 },
    micros: { input: 27.5, cachedInput: 0, cacheWrite: 0, output: 50, reasoning: 0 },
    note: '11 × 2.50 + 5 × 10',
  },
  {
    name: 'anthropic json: cache write',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5-20250929',
    stream: false,
    bytes: fixture('anthropic/messages-cache-write.json'),
    tokens: { ...NONE, prompt: 1864, completion: 12, cacheWrite: 1843 },
    micros: { input: 63, cachedInput: 0, cacheWrite: 6911.25, output: 180, reasoning: 0 },
    note: '21 × 3 + 1843 × 3.75 (5-minute write) + 12 × 15',
  },
  {
    name: 'anthropic json: cache read',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5-20250929',
    stream: false,
    bytes: fixture('anthropic/messages-cache-read.json'),
    tokens: { ...NONE, prompt: 1864, completion: 14, cached: 1843 },
    micros: { input: 63, cachedInput: 552.9, cacheWrite: 0, output: 210, reasoning: 0 },
    note: '21 × 3 + 1843 × 0.30 + 14 × 15',
  },
  {
    name: 'anthropic stream: cache read',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5-20250929',
    stream: true,
    bytes: fixture('anthropic/stream-cache-read.sse'),
    tokens: { ...NONE, prompt: 1864, completion: 9, cached: 1843 },
    micros: { input: 63, cachedInput: 552.9, cacheWrite: 0, output: 135, reasoning: 0 },
    note: '21 × 3 + 1843 × 0.30 + 9 × 15',
  },
  {
    name: 'anthropic stream: 1-hour cache write',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5-20250929',
    stream: true,
    bytes: withUsage(
      'anthropic/stream-text.sse',
      { input_tokens: 10, cache_creation_input_tokens: 4000, cache_read_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 4000 }, output_tokens: 1 },
      'first',
    ),
    tokens: { ...NONE, prompt: 4010, completion: 15, cacheWrite: 4000, cacheWrite1h: 4000 },
    micros: { input: 30, cachedInput: 0, cacheWrite: 24000, output: 225, reasoning: 0 },
    note: "recorded stream, message_start usage with a 1-hour write: 10 × 3 + 4000 × 6 (1-hour write) + 15 × 15",
  },
  {
    name: 'bedrock json: cache write',
    provider: 'bedrock',
    model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0',
    options: { region: 'us-east-1' },
    stream: false,
    bytes: withUsage('bedrock/converse-text.json', { inputTokens: 20, outputTokens: 50, totalTokens: 1570, cacheReadInputTokens: 0, cacheWriteInputTokens: 1500 }),
    tokens: { ...NONE, prompt: 1520, completion: 50, cacheWrite: 1500 },
    micros: { input: 16, cachedInput: 0, cacheWrite: 1500, output: 200, reasoning: 0 },
    note: 'recorded body, Converse usage with cache tokens: 20 × 0.80 + 1500 × 1.00 + 50 × 4',
  },
  {
    name: 'bedrock stream',
    provider: 'bedrock',
    model: 'us.amazon.nova-pro-v1:0',
    options: { region: 'us-east-1' },
    stream: true,
    bytes: eventStream('converse-stream-text.events.json'),
    tokens: { ...NONE, prompt: 9, completion: 5 },
    micros: { input: 7.2, cachedInput: 0, cacheWrite: 0, output: 16, reasoning: 0 },
    note: '9 × 0.80 + 5 × 3.20',
  },
  {
    name: 'gemini json: thinking tokens',
    provider: 'gemini',
    model: 'gemini-2.5-flash',
    stream: false,
    bytes: fixture('gemini/generate-text.json'),
    tokens: { ...NONE, prompt: 8, completion: 38, reasoning: 28 },
    micros: { input: 2.4, cachedInput: 0, cacheWrite: 0, output: 25, reasoning: 70 },
    note: '8 × 0.30 + 10 × 2.50 + 28 thinking × 2.50',
  },
  {
    name: 'gemini stream',
    provider: 'gemini',
    model: 'gemini-2.5-flash',
    stream: true,
    bytes: fixture('gemini/stream-text.sse'),
    tokens: { ...NONE, prompt: 6, completion: 18 },
    micros: { input: 1.8, cachedInput: 0, cacheWrite: 0, output: 45, reasoning: 0 },
    note: '6 × 0.30 + 18 × 2.50',
  },
  {
    name: 'vertex gemini json: cached content and thinking',
    provider: 'vertex',
    model: 'gemini-2.5-flash',
    options: { project: 'p', location: 'us-central1' },
    stream: false,
    bytes: fixture('vertex/generate-text.json'),
    tokens: { ...NONE, prompt: 1200, completion: 49, cached: 1024, reasoning: 40 },
    micros: { input: 52.8, cachedInput: 76.8, cacheWrite: 0, output: 22.5, reasoning: 100 },
    note: '176 × 0.30 + 1024 × 0.075 + 9 × 2.50 + 40 thinking × 2.50',
  },
  {
    name: 'vertex gemini stream',
    provider: 'vertex',
    model: 'gemini-2.5-flash',
    options: { project: 'p', location: 'us-central1' },
    stream: true,
    bytes: fixture('vertex/stream-text.sse'),
    tokens: { ...NONE, prompt: 7, completion: 4 },
    micros: { input: 2.1, cachedInput: 0, cacheWrite: 0, output: 10, reasoning: 0 },
    note: '7 × 0.30 + 4 × 2.50',
  },
  {
    name: 'vertex anthropic json: cache read',
    provider: 'vertex',
    model: 'claude-sonnet-4-5@20250929',
    options: { project: 'p', location: 'us-east5' },
    stream: false,
    bytes: fixture('vertex/rawpredict-text.json'),
    tokens: { ...NONE, prompt: 2062, completion: 9, cached: 2048 },
    micros: { input: 42, cachedInput: 614.4, cacheWrite: 0, output: 135, reasoning: 0 },
    note: '14 × 3 + 2048 × 0.30 + 9 × 15',
  },
  {
    name: 'vertex anthropic stream',
    provider: 'vertex',
    model: 'claude-sonnet-4-5@20250929',
    options: { project: 'p', location: 'us-east5' },
    stream: true,
    bytes: fixture('vertex/streamrawpredict-text.sse'),
    tokens: { ...NONE, prompt: 11, completion: 6 },
    micros: { input: 33, cachedInput: 0, cacheWrite: 0, output: 90, reasoning: 0 },
    note: '11 × 3 + 6 × 15',
  },
];

export const billMicros = (c: BreakdownCase): number => c.micros.input + c.micros.cachedInput + c.micros.cacheWrite + c.micros.output + c.micros.reasoning;
