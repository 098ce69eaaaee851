/**
 * Input tokens of an Anthropic request, counted by the gateway with the model family's tokenizer (tokens/):
 * for `message_start` of a stream (the upstream reports usage only at its end) and for
 * `/v1/messages/count_tokens`. Counted on the canonical (OpenAI) request: messages with the system prompt,
 * plus the tool definitions.
 */
import { countPromptTokens, countTextTokens } from '../../tokens/index.js';

export function countCanonicalPrompt(model: string, canonical: Record<string, unknown>): number | Promise<number> {
  const messages = Array.isArray(canonical.messages) ? canonical.messages : [];
  const prompt = countPromptTokens(model, messages);
  if (!Array.isArray(canonical.tools) || canonical.tools.length === 0) return prompt;
  const tools = countTextTokens(model, JSON.stringify(canonical.tools));
  if (typeof prompt === 'number' && typeof tools === 'number') return prompt + tools;
  return Promise.all([prompt, tools]).then(([a, b]) => a + b);
}
