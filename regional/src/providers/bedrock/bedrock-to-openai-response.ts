/** Bedrock Converse response → OpenAI chat completion. */
import type { TranslatedResponse, Usage } from '../adapter.js';
import { buildCompletion, type OAIFinishReason, type OAIToolCall } from '../common/openai-wire.js';
import type { ConverseResponse, ConverseStopReason, ConverseUsage } from './converse-wire.js';

export function bedrockFinishReason(r: ConverseStopReason | undefined): OAIFinishReason | null {
  switch (r) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'guardrail_intervened':
    case 'content_filtered':
      return 'content_filter';
    default:
      return null;
  }
}

/** Bedrock's inputTokens excludes cache reads and writes (as Anthropic's does). */
export function bedrockUsage(u: ConverseUsage | undefined): Usage | undefined {
  if (!u || typeof u.inputTokens !== 'number') return undefined;
  const cacheRead = u.cacheReadInputTokens ?? 0;
  const cacheWrite = u.cacheWriteInputTokens ?? 0;
  const prompt = u.inputTokens + cacheRead + cacheWrite;
  const usage: Usage = { promptTokens: prompt, completionTokens: u.outputTokens ?? 0, totalTokens: prompt + (u.outputTokens ?? 0) };
  if (cacheRead) usage.cachedPromptTokens = cacheRead;
  if (cacheWrite) usage.cacheWriteTokens = cacheWrite;
  return usage;
}

export function bedrockToOpenAIResponse(body: Buffer, model: string, id: string): TranslatedResponse {
  const res = JSON.parse(body.toString('utf8')) as ConverseResponse;
  let text = '';
  const toolCalls: OAIToolCall[] = [];
  for (const block of res.output?.message?.content ?? []) {
    if ('text' in block) text += block.text;
    else if ('toolUse' in block) {
      toolCalls.push({ id: block.toolUse.toolUseId, type: 'function', function: { name: block.toolUse.name, arguments: JSON.stringify(block.toolUse.input ?? {}) } });
    }
  }
  const usage = bedrockUsage(res.usage);
  const completion = buildCompletion(id, model, text || (toolCalls.length ? null : ''), toolCalls, bedrockFinishReason(res.stopReason), usage);
  return { body: JSON.stringify(completion), usage };
}
