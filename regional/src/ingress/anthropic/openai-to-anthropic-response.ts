/** Ingress: an OpenAI chat completion → an Anthropic Messages response. */
import type { AnthropicContentBlock, AnthropicResponse, AnthropicStopReason, AnthropicUsage } from '../../providers/anthropic/anthropic-wire.js';
import type { OAIChatCompletion, OAIFinishReason, OAIUsage } from '../../providers/common/openai-wire.js';

export function anthropicStopReason(r: OAIFinishReason | null | undefined): AnthropicStopReason {
  switch (r) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    case 'stop':
      return 'end_turn';
    default:
      return r == null ? null : 'end_turn';
  }
}

/** OpenAI prompt_tokens includes cached tokens; Anthropic's input_tokens excludes cache reads and writes. */
export function anthropicUsageOf(u: OAIUsage | null | undefined): AnthropicUsage {
  if (!u) return { input_tokens: 0, output_tokens: 0 };
  const cached = u.prompt_tokens_details?.cached_tokens ?? 0;
  const written = u.cache_creation_input_tokens ?? 0;
  const out: AnthropicUsage = { input_tokens: u.prompt_tokens - cached - written, output_tokens: u.completion_tokens };
  if (cached || written) {
    out.cache_creation_input_tokens = written;
    out.cache_read_input_tokens = cached;
  }
  return out;
}

export function anthropicMessageId(openaiId: string | undefined): string {
  if (!openaiId) return `msg_${Date.now().toString(36)}`;
  return openaiId.startsWith('msg_') ? openaiId : `msg_${openaiId.replace(/^chatcmpl-/, '')}`;
}

function parseInput(args: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(args || '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function openAIToAnthropicResponse(res: OAIChatCompletion, model: string): AnthropicResponse {
  const choice = res.choices?.[0];
  const content: AnthropicContentBlock[] = [];
  const text = choice?.message?.content;
  if (typeof text === 'string' && text) content.push({ type: 'text', text });
  for (const tc of choice?.message?.tool_calls ?? []) {
    content.push({ type: 'tool_use', id: tc.id, name: tc.function.name, input: parseInput(tc.function.arguments) });
  }
  return {
    id: anthropicMessageId(res.id),
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: anthropicStopReason(choice?.finish_reason),
    stop_sequence: null,
    usage: anthropicUsageOf(res.usage),
  };
}
