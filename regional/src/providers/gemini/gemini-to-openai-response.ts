/** Gemini generateContent response → OpenAI chat completion. */
import { randomBytes } from 'node:crypto';
import { UpstreamClientError } from '../../errors/catalogue.js';
import type { TranslatedResponse, Usage } from '../adapter.js';
import { buildCompletion, type OAIFinishReason, type OAIToolCall } from '../common/openai-wire.js';
import type { GeminiPart, GeminiResponse, GeminiUsage } from './gemini-wire.js';

export function geminiFinishReason(r: string | undefined, hasToolCalls: boolean): OAIFinishReason | null {
  if (!r) return null;
  if (hasToolCalls && r === 'STOP') return 'tool_calls';
  switch (r) {
    case 'STOP':
      return 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/** Gemini counts thinking tokens apart from candidates; OpenAI bills them as completion tokens. */
export function geminiUsage(u: GeminiUsage | undefined): Usage | undefined {
  if (!u || typeof u.promptTokenCount !== 'number') return undefined;
  const completion = (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0);
  const usage: Usage = { promptTokens: u.promptTokenCount, completionTokens: completion, totalTokens: u.totalTokenCount ?? u.promptTokenCount + completion };
  // promptTokenCount includes cachedContentTokenCount (as OpenAI's prompt_tokens includes cached_tokens).
  if (u.cachedContentTokenCount) usage.cachedPromptTokens = u.cachedContentTokenCount;
  if (u.thoughtsTokenCount) usage.reasoningTokens = u.thoughtsTokenCount;
  return usage;
}

/** Gemini function calls may lack ids; OpenAI clients need one to answer. */
export function toolCallId(id: string | undefined): string {
  return id ?? `call_${randomBytes(12).toString('base64url')}`;
}

/** A prompt blocked before any candidate: a content-policy error (the router may fall back). */
export function blockedPrompt(res: GeminiResponse): UpstreamClientError | undefined {
  if (res.candidates?.length || !res.promptFeedback?.blockReason) return undefined;
  return new UpstreamClientError(400, `Gemini blocked the prompt: ${res.promptFeedback.blockReason}`, 'invalid_request_error', 'content_policy_violation', 'messages');
}

export function partsToOpenAI(parts: GeminiPart[] | undefined): { text: string; toolCalls: OAIToolCall[] } {
  let text = '';
  const toolCalls: OAIToolCall[] = [];
  for (const p of parts ?? []) {
    if ('text' in p && !p.thought) text += p.text;
    else if ('functionCall' in p) {
      toolCalls.push({ id: toolCallId(p.functionCall.id), type: 'function', function: { name: p.functionCall.name, arguments: JSON.stringify(p.functionCall.args ?? {}) } });
    }
  }
  return { text, toolCalls };
}

export function geminiToOpenAIResponse(body: Buffer, model: string, id: string): TranslatedResponse {
  const res = JSON.parse(body.toString('utf8')) as GeminiResponse;
  const blocked = blockedPrompt(res);
  if (blocked) throw blocked;
  const cand = res.candidates?.[0];
  const { text, toolCalls } = partsToOpenAI(cand?.content?.parts);
  const usage = geminiUsage(res.usageMetadata);
  const completion = buildCompletion(id, model, text || (toolCalls.length ? null : ''), toolCalls, geminiFinishReason(cand?.finishReason, toolCalls.length > 0), usage);
  return { body: JSON.stringify(completion), usage };
}
