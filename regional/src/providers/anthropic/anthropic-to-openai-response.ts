/** Anthropic Messages response → OpenAI chat completion. */
import type { TranslatedResponse, Usage } from '../adapter.js';
import type { AnthropicResponse, AnthropicStopReason, AnthropicUsage } from './anthropic-wire.js';
import { buildCompletion, type OAIFinishReason, type OAIToolCall } from '../common/openai-wire.js';

export function anthropicFinishReason(r: AnthropicStopReason | undefined): OAIFinishReason | null {
  switch (r) {
    case 'end_turn':
    case 'stop_sequence':
    case 'pause_turn':
      return 'stop';
    case 'max_tokens':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return null;
  }
}

/** Anthropic counts cache reads and writes apart from `input_tokens`; OpenAI's prompt_tokens includes them. */
export function anthropicUsage(u: Partial<AnthropicUsage> | undefined): Usage | undefined {
  if (!u || typeof u.input_tokens !== 'number') return undefined;
  const cacheRead = u.cache_read_input_tokens ?? 0;
  const cacheWrite = u.cache_creation_input_tokens ?? 0;
  const prompt = u.input_tokens + cacheRead + cacheWrite;
  const completion = u.output_tokens ?? 0;
  const usage: Usage = { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion };
  if (cacheRead) usage.cachedPromptTokens = cacheRead;
  if (cacheWrite) usage.cacheWriteTokens = cacheWrite;
  const written1h = u.cache_creation?.ephemeral_1h_input_tokens ?? 0;
  if (written1h) usage.cacheWrite1hTokens = written1h;
  return usage;
}

export function anthropicToOpenAIResponse(body: Buffer, model: string): TranslatedResponse {
  const res = JSON.parse(body.toString('utf8')) as AnthropicResponse;
  let text = '';
  const toolCalls: OAIToolCall[] = [];
  for (const block of res.content ?? []) {
    if (block.type === 'text') text += block.text;
    else if (block.type === 'tool_use') {
      toolCalls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
    }
  }
  const usage = anthropicUsage(res.usage);
  const completion = buildCompletion(res.id, model, text || (toolCalls.length ? null : ''), toolCalls, anthropicFinishReason(res.stop_reason), usage);
  return { body: JSON.stringify(completion), usage };
}
