/** OpenAI chat request → Anthropic Messages request. */
import { InvalidRequest } from '../../errors/catalogue.js';
import type { AnthropicContentBlock, AnthropicMessage, AnthropicRequest, AnthropicToolChoice } from './anthropic-wire.js';
import {
  asChatRequest,
  maxTokensOf,
  parseArguments,
  parseDataUrl,
  partsOf,
  stopList,
  textOf,
  marksCache,
  withCacheControl,
  type OAIChatRequest,
  type OAIMessage,
  type OAIContentPart,
  type OAIImagePart,
  type OAIToolChoice,
} from '../common/openai-wire.js';

export interface AnthropicRequestOptions {
  /** Used when the client sets neither max_completion_tokens nor max_tokens (Anthropic requires one). */
  defaultMaxTokens: number;
}

function imageBlock(part: OAIImagePart, param: string): AnthropicContentBlock {
  const url = part.image_url?.url;
  if (typeof url !== 'string') throw new InvalidRequest('image_url.url must be a string', param);
  const data = parseDataUrl(url);
  if (data) return { type: 'image', source: { type: 'base64', media_type: data.mediaType, data: data.base64 } };
  if (/^https?:\/\//.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw new InvalidRequest('image_url.url must be an http(s) URL or a base64 data: URL', param);
}

function userBlocks(content: OAIContentPart[], param: string): AnthropicContentBlock[] {
  const out: AnthropicContentBlock[] = [];
  content.forEach((p, i) => {
    if (p.type === 'text') out.push({ type: 'text', text: String((p as { text: unknown }).text ?? ''), ...withCacheControl(p) });
    else if (p.type === 'image_url') out.push({ ...imageBlock(p as OAIImagePart, `${param}.content[${i}]`), ...withCacheControl(p) } as AnthropicContentBlock);
    else throw new InvalidRequest(`content part type '${p.type}' is not supported by this model`, `${param}.content[${i}]`);
  });
  return out;
}

function toolChoice(choice: OAIToolChoice | undefined, parallel: boolean | undefined): AnthropicToolChoice | undefined {
  const disable = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined) return parallel === false ? { type: 'auto', ...disable } : undefined;
  if (choice === 'auto') return { type: 'auto', ...disable };
  if (choice === 'required') return { type: 'any', ...disable };
  if (choice === 'none') return { type: 'none' };
  if (typeof choice === 'object' && choice.function?.name) return { type: 'tool', name: choice.function.name, ...disable };
  throw new InvalidRequest('unsupported tool_choice', 'tool_choice');
}

/** Append blocks to the conversation, merging into the previous message when the role repeats. */
function append(messages: AnthropicMessage[], role: AnthropicMessage['role'], blocks: AnthropicContentBlock[]): void {
  if (!blocks.length) return;
  const last = messages[messages.length - 1];
  if (last && last.role === role && Array.isArray(last.content)) last.content.push(...blocks);
  else messages.push({ role, content: blocks });
}

type SystemBlock = { type: 'text'; text: string; cache_control?: unknown };

/** A system or developer message as system blocks: one per text part, keeping cache breakpoints. */
function systemBlocks(m: OAIMessage): SystemBlock[] {
  if (!marksCache(m)) {
    const text = textOf(m.content);
    return text ? [{ type: 'text', text }] : [];
  }
  const blocks: SystemBlock[] = partsOf(m.content)
    .filter((p) => p.type === 'text' && (p as { text?: unknown }).text)
    .map((p) => ({ type: 'text', text: String((p as { text: unknown }).text), ...withCacheControl(p) }));
  const last = blocks[blocks.length - 1];
  if (last && !last.cache_control) Object.assign(last, withCacheControl(m));
  return blocks;
}

/** Assistant text: one block, or one per part when a part sets a cache breakpoint. */
function assistantTextBlocks(m: OAIMessage): AnthropicContentBlock[] {
  if (!Array.isArray(m.content) || !marksCache(m)) {
    const text = textOf(m.content);
    return text ? [{ type: 'text', text }] : [];
  }
  return m.content
    .filter((p) => p.type === 'text' && (p as { text?: unknown }).text)
    .map((p) => ({ type: 'text', text: String((p as { text: unknown }).text), ...withCacheControl(p) }));
}

/** The cache breakpoint of a tool message: its own, or its last part's. */
function toolResultCache(m: OAIMessage): ReturnType<typeof withCacheControl> {
  const own = withCacheControl(m);
  if (own.cache_control || !Array.isArray(m.content)) return own;
  const marked = m.content.filter((p) => withCacheControl(p).cache_control);
  return marked.length ? withCacheControl(marked[marked.length - 1]) : {};
}

/**
 * Translate. System and developer messages become `system`; tool messages become `tool_result` blocks in a
 * user turn; assistant `tool_calls` become `tool_use` blocks; consecutive turns of one role are merged.
 */
export function openAIToAnthropicRequest(body: Record<string, unknown>, upstreamModel: string, opts: AnthropicRequestOptions): AnthropicRequest {
  const req: OAIChatRequest = asChatRequest(body);
  const system: SystemBlock[] = [];
  const messages: AnthropicMessage[] = [];
  req.messages.forEach((m, i) => {
    const param = `messages[${i}]`;
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push(...systemBlocks(m));
        break;
      case 'user':
        append(messages, 'user', userBlocks(partsOf(m.content), param));
        break;
      case 'assistant': {
        const blocks: AnthropicContentBlock[] = assistantTextBlocks(m);
        for (const [j, tc] of (m.tool_calls ?? []).entries()) {
          blocks.push({ type: 'tool_use', id: tc.id, name: tc.function.name, input: parseArguments(tc.function.arguments, `${param}.tool_calls[${j}]`) });
        }
        append(messages, 'assistant', blocks);
        break;
      }
      case 'tool': {
        if (!m.tool_call_id) throw new InvalidRequest('tool messages need a tool_call_id', `${param}.tool_call_id`);
        append(messages, 'user', [{ type: 'tool_result', tool_use_id: m.tool_call_id, content: textOf(m.content), ...toolResultCache(m) }]);
        break;
      }
      default:
        throw new InvalidRequest(`unsupported role '${String((m as { role: unknown }).role)}'`, `${param}.role`);
    }
  });
  if (!messages.length) throw new InvalidRequest('at least one user or assistant message is required', 'messages');

  const out: AnthropicRequest = {
    model: upstreamModel,
    max_tokens: maxTokensOf(req) ?? opts.defaultMaxTokens,
    messages,
  };
  // Plain text unless a block sets a cache breakpoint, which only the block form can carry.
  if (system.some((b) => b.cache_control)) out.system = system;
  else if (system.length) out.system = system.map((b) => b.text).join('\n\n');
  const stop = stopList(req.stop);
  if (stop) out.stop_sequences = stop;
  // OpenAI's temperature range is 0–2, Anthropic's 0–1.
  if (typeof req.temperature === 'number') out.temperature = Math.min(1, Math.max(0, req.temperature));
  if (typeof req.top_p === 'number') out.top_p = req.top_p;
  if (req.stream) out.stream = true;
  if (req.user) out.metadata = { user_id: req.user };
  if (req.tools?.length) {
    out.tools = req.tools.map((t) => ({
      name: t.function.name,
      ...(t.function.description ? { description: t.function.description } : {}),
      input_schema: t.function.parameters ?? { type: 'object', properties: {} },
      ...withCacheControl(t),
    }));
  }
  const choice = toolChoice(req.tool_choice, req.parallel_tool_calls);
  if (choice && out.tools) out.tool_choice = choice;
  return out;
}
