/** Ingress: an Anthropic Messages request (POST /v1/messages) → the canonical OpenAI chat request. */
import { InvalidRequest, MissingParameter } from '../../errors/catalogue.js';
import type {
  AnthropicContentBlock,
  AnthropicImageSource,
  AnthropicRequest,
  AnthropicToolResultContent,
} from '../../providers/anthropic/anthropic-wire.js';
import { withCacheControl, type OAIChatRequest, type OAIContentPart, type OAIMessage, type OAIToolCall, type OAIToolChoice } from '../../providers/common/openai-wire.js';

function imageUrl(src: AnthropicImageSource): string {
  return src.type === 'base64' ? `data:${src.media_type};base64,${src.data}` : src.url;
}

function toolResultText(content: AnthropicToolResultContent | undefined): string {
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

function blocksOf(content: string | AnthropicContentBlock[]): AnthropicContentBlock[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content;
}

function userMessages(blocks: AnthropicContentBlock[], param: string): OAIMessage[] {
  // Tool results answer the previous assistant turn, so they come first, as `tool` messages.
  const out: OAIMessage[] = [];
  const parts: OAIContentPart[] = [];
  blocks.forEach((b, i) => {
    switch (b.type) {
      case 'tool_result': {
        const text = toolResultText(b.content);
        const content = b.is_error ? `Error: ${text}` : text;
        // A cache breakpoint needs the parts form to travel (see providers/common/openai-wire.ts CacheControl).
        const cc = withCacheControl(b);
        out.push({ role: 'tool', tool_call_id: b.tool_use_id, content: cc.cache_control ? [{ type: 'text', text: content, ...cc }] : content });
        break;
      }
      case 'text':
        parts.push({ type: 'text', text: b.text, ...withCacheControl(b) });
        break;
      case 'image':
        parts.push({ type: 'image_url', image_url: { url: imageUrl(b.source) }, ...withCacheControl(b) });
        break;
      default:
        throw new InvalidRequest(`content block type '${b.type}' is not supported in user messages`, `${param}.content[${i}]`);
    }
  });
  if (parts.length) {
    const onlyText = parts.every((p) => p.type === 'text' && !('cache_control' in p));
    out.push({ role: 'user', content: onlyText ? parts.map((p) => (p as { text: string }).text).join('\n') : parts });
  }
  return out;
}

function assistantMessage(blocks: AnthropicContentBlock[]): OAIMessage {
  let text = '';
  const calls: OAIToolCall[] = [];
  for (const b of blocks) {
    if (b.type === 'text') text += b.text;
    else if (b.type === 'tool_use') calls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } });
    // thinking blocks are the model's own; other providers cannot take them back.
  }
  // OpenAI allows null content only beside tool calls.
  const m: OAIMessage = { role: 'assistant', content: text || (calls.length ? null : '') };
  if (calls.length) m.tool_calls = calls;
  return m;
}

function toolChoice(tc: AnthropicRequest['tool_choice']): { choice?: OAIToolChoice; parallel?: boolean } {
  if (!tc) return {};
  const parallel = 'disable_parallel_tool_use' in tc && tc.disable_parallel_tool_use ? false : undefined;
  switch (tc.type) {
    case 'auto':
      return { choice: 'auto', parallel };
    case 'any':
      return { choice: 'required', parallel };
    case 'tool':
      return { choice: { type: 'function', function: { name: tc.name } }, parallel };
    case 'none':
      return { choice: 'none' };
    default:
      throw new InvalidRequest('unsupported tool_choice', 'tool_choice');
  }
}

/** Translate; throws catalogue errors for what Anthropic itself would reject. */
export function anthropicToOpenAIRequest(body: Record<string, unknown>): OAIChatRequest {
  const req = body as unknown as AnthropicRequest;
  if (typeof req.model !== 'string' || !req.model) throw new MissingParameter('model');
  if (typeof req.max_tokens !== 'number') throw new MissingParameter('max_tokens');
  if (!Array.isArray(req.messages) || req.messages.length === 0) throw new InvalidRequest("'messages' must be a non-empty array", 'messages');

  const messages: OAIMessage[] = [];
  if (Array.isArray(req.system) && req.system.some((b) => withCacheControl(b).cache_control)) {
    messages.push({ role: 'system', content: req.system.map((b) => ({ type: 'text', text: b.text, ...withCacheControl(b) })) });
  } else if (req.system) {
    const sys = typeof req.system === 'string' ? req.system : req.system.map((b) => b.text).join('\n');
    if (sys) messages.push({ role: 'system', content: sys });
  }
  req.messages.forEach((m, i) => {
    const param = `messages[${i}]`;
    if (m.role === 'user') messages.push(...userMessages(blocksOf(m.content), param));
    else if (m.role === 'assistant') messages.push(assistantMessage(blocksOf(m.content)));
    else throw new InvalidRequest(`unsupported role '${String((m as { role: unknown }).role)}'`, `${param}.role`);
  });

  const out: OAIChatRequest = { model: req.model, messages, max_tokens: req.max_tokens };
  if (req.stop_sequences?.length) out.stop = req.stop_sequences;
  if (typeof req.temperature === 'number') out.temperature = req.temperature;
  if (typeof req.top_p === 'number') out.top_p = req.top_p;
  if (req.stream) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  if (req.metadata?.user_id) out.user = req.metadata.user_id;
  if (req.tools?.length) {
    out.tools = req.tools.map((t) => ({
      type: 'function',
      function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.input_schema },
      ...withCacheControl(t),
    }));
    const { choice, parallel } = toolChoice(req.tool_choice);
    if (choice) out.tool_choice = choice;
    if (parallel === false) out.parallel_tool_calls = false;
  }
  return out;
}
