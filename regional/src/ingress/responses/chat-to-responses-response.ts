/** Ingress: a canonical OpenAI chat completion → a Responses API Response object. */
import { randomBytes } from 'node:crypto';
import type { OAIChatCompletion, OAIFinishReason, OAIUsage } from '../../providers/common/openai-wire.js';
import type { ResponseObject, ResponsesOutputItem, ResponsesRequest, ResponsesUsage } from './responses-wire.js';

export const newId = (prefix: string): string => `${prefix}_${randomBytes(24).toString('hex')}`;

/** Chat usage → Responses usage (same counts under other names). */
export function responsesUsageOf(u: OAIUsage | null | undefined): ResponsesUsage | null {
  if (!u) return null;
  return {
    input_tokens: u.prompt_tokens,
    input_tokens_details: { cached_tokens: u.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: u.completion_tokens,
    output_tokens_details: { reasoning_tokens: u.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: u.total_tokens ?? u.prompt_tokens + u.completion_tokens,
  };
}

/** A finish reason that cut the answer short → the Response's status and incomplete_details. */
export function statusOf(finish: OAIFinishReason | null | undefined): Pick<ResponseObject, 'status' | 'incomplete_details'> {
  if (finish === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finish === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

/** The Response object for a request, before any output (what response.created carries). */
export function responseShell(id: string, req: ResponsesRequest, model: string): ResponseObject {
  return {
    id,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'in_progress',
    error: null,
    incomplete_details: null,
    instructions: typeof req.instructions === 'string' ? req.instructions : null,
    max_output_tokens: typeof req.max_output_tokens === 'number' ? req.max_output_tokens : null,
    model,
    output: [],
    parallel_tool_calls: req.parallel_tool_calls !== false,
    previous_response_id: req.previous_response_id ?? null,
    reasoning: { effort: req.reasoning?.effort ?? null, summary: req.reasoning?.summary ?? null },
    store: req.store !== false,
    temperature: typeof req.temperature === 'number' ? req.temperature : null,
    text: { format: req.text?.format ?? { type: 'text' } },
    tool_choice: req.tool_choice ?? 'auto',
    tools: req.tools ?? [],
    top_p: typeof req.top_p === 'number' ? req.top_p : null,
    truncation: 'disabled',
    usage: null,
    user: req.user ?? null,
    metadata: req.metadata ?? {},
  };
}

/** The output items of a completion: the text as one message, each tool call as a function_call. */
export function outputItemsOf(c: OAIChatCompletion): ResponsesOutputItem[] {
  const msg = c.choices?.[0]?.message;
  const out: ResponsesOutputItem[] = [];
  if (typeof msg?.content === 'string' && msg.content) {
    out.push({ type: 'message', id: newId('msg'), status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: msg.content, annotations: [] }] });
  }
  for (const tc of msg?.tool_calls ?? []) {
    out.push({ type: 'function_call', id: newId('fc'), status: 'completed', call_id: tc.id, name: tc.function.name, arguments: tc.function.arguments });
  }
  return out;
}

export function chatToResponsesResponse(c: OAIChatCompletion, shell: ResponseObject): ResponseObject {
  return { ...shell, ...statusOf(c.choices?.[0]?.finish_reason), output: outputItemsOf(c), usage: responsesUsageOf(c.usage) };
}
