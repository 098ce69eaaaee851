/**
 * The OpenAI chat-completions wire shapes that every translating adapter reads and writes, and the helpers
 * they share (content flattening, data URLs, chunk building). Kept here until the lead gives translators a
 * common folder (suggested: providers/common/).
 */
import { InvalidRequest } from '../../errors/catalogue.js';
import type { Usage } from '../adapter.js';

export interface OAITextPart { type: 'text'; text: string }
export interface OAIImagePart { type: 'image_url'; image_url: { url: string; detail?: string } }
export type OAIContentPart = OAITextPart | OAIImagePart | { type: string; [k: string]: unknown };

export interface OAIToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface OAIMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  content?: string | OAIContentPart[] | null;
  name?: string;
  tool_calls?: OAIToolCall[];
  tool_call_id?: string;
}

export interface OAITool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
  /** Not OpenAI's: an Anthropic prompt-cache breakpoint after this tool (as LiteLLM accepts it). */
  cache_control?: CacheControl;
}

/**
 * Anthropic prompt caching (`{"type":"ephemeral","ttl":"5m"|"1h"}`). Not part of OpenAI's API: chat clients
 * put it on content parts and tools (as LiteLLM accepts it) and /v1/messages clients where Anthropic has it;
 * translators to Anthropic-family upstreams carry it, others ignore it.
 */
export type CacheControl = { type: string; ttl?: string; [k: string]: unknown };

/** The cache_control of a content part, message or tool, if it has one. */
export function cacheControlOf(x: unknown): CacheControl | undefined {
  const cc = x && typeof x === 'object' ? (x as { cache_control?: unknown }).cache_control : undefined;
  return cc && typeof cc === 'object' && !Array.isArray(cc) ? (cc as CacheControl) : undefined;
}

/** `{ cache_control }` to spread into a block, or nothing. */
export function withCacheControl(x: unknown): { cache_control?: CacheControl } {
  const cc = cacheControlOf(x);
  return cc ? { cache_control: cc } : {};
}

/** Whether any part of a message's content (or the message itself) sets a cache breakpoint. */
export function marksCache(m: { content?: unknown }): boolean {
  return cacheControlOf(m) !== undefined || (Array.isArray(m.content) && m.content.some((p) => cacheControlOf(p) !== undefined));
}

export type OAIToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

export interface OAIChatRequest {
  model: string;
  messages: OAIMessage[];
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  n?: number | null;
  stop?: string | string[] | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  tools?: OAITool[];
  tool_choice?: OAIToolChoice;
  parallel_tool_calls?: boolean;
  user?: string;
  response_format?: { type: 'text' | 'json_object' | 'json_schema'; json_schema?: { name?: string; schema?: Record<string, unknown> } };
}

export type OAIFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface OAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
  /**
   * Not OpenAI's: prompt tokens written to the provider's cache (Anthropic, Bedrock, Vertex-Anthropic), under
   * the name LiteLLM uses, so a /v1/messages client gets its cache_creation_input_tokens back.
   */
  cache_creation_input_tokens?: number;
}

export interface OAIChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string | null; tool_calls?: OAIToolCall[]; refusal?: null };
    finish_reason: OAIFinishReason | null;
    logprobs: null;
  }>;
  usage?: OAIUsage;
}

export interface OAIChunkToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface OAIChatChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: { role?: 'assistant'; content?: string | null; tool_calls?: OAIChunkToolCallDelta[] };
    finish_reason: OAIFinishReason | null;
    logprobs?: null;
  }>;
  usage?: OAIUsage | null;
}

/** Gateway usage → OpenAI `usage` object. */
export function toOAIUsage(u: Usage): OAIUsage {
  const out: OAIUsage = { prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, total_tokens: u.totalTokens };
  if (u.cachedPromptTokens !== undefined) out.prompt_tokens_details = { cached_tokens: u.cachedPromptTokens };
  if (u.reasoningTokens) out.completion_tokens_details = { reasoning_tokens: u.reasoningTokens };
  if (u.cacheWriteTokens) out.cache_creation_input_tokens = u.cacheWriteTokens;
  return out;
}

/** OpenAI `usage` → gateway usage. */
export function fromOAIUsage(u: OAIUsage | null | undefined): Usage | undefined {
  if (!u || typeof u.prompt_tokens !== 'number') return undefined;
  const usage: Usage = {
    promptTokens: u.prompt_tokens,
    completionTokens: u.completion_tokens ?? 0,
    totalTokens: u.total_tokens ?? u.prompt_tokens + (u.completion_tokens ?? 0),
  };
  const cached = u.prompt_tokens_details?.cached_tokens;
  if (typeof cached === 'number') usage.cachedPromptTokens = cached;
  const reasoning = u.completion_tokens_details?.reasoning_tokens;
  if (typeof reasoning === 'number' && reasoning > 0) usage.reasoningTokens = reasoning;
  if (typeof u.cache_creation_input_tokens === 'number' && u.cache_creation_input_tokens > 0) usage.cacheWriteTokens = u.cache_creation_input_tokens;
  return usage;
}

/** A validated, typed view of the client's body (the core already parsed it; we only check what we use). */
export function asChatRequest(body: Record<string, unknown>): OAIChatRequest {
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    throw new InvalidRequest("'messages' must be a non-empty array", 'messages');
  }
  for (const [i, m] of (body.messages as unknown[]).entries()) {
    if (!m || typeof m !== 'object' || typeof (m as { role?: unknown }).role !== 'string') {
      throw new InvalidRequest(`messages[${i}] must be an object with a 'role'`, `messages[${i}]`);
    }
  }
  if (body.n != null && body.n !== 1) throw new InvalidRequest('this model supports only n=1', 'n');
  return body as unknown as OAIChatRequest;
}

/** The text of a message's content (text parts joined; other parts ignored). */
export function textOf(content: OAIMessage['content']): string {
  if (content == null) return '';
  if (typeof content === 'string') return content;
  let out = '';
  for (const p of content) if (p.type === 'text' && typeof (p as OAITextPart).text === 'string') out += (out ? '\n' : '') + (p as OAITextPart).text;
  return out;
}

/** Content as a list of parts (a string becomes one text part; empty strings vanish). */
export function partsOf(content: OAIMessage['content']): OAIContentPart[] {
  if (content == null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return content;
}

export interface DataUrl { mediaType: string; base64: string }

/** Parse `data:<type>;base64,<data>`; undefined for any other URL. */
export function parseDataUrl(url: string): DataUrl | undefined {
  const m = /^data:([\w.+-]+\/[\w.+-]+);base64,(.*)$/s.exec(url);
  return m ? { mediaType: m[1]!, base64: m[2]! } : undefined;
}

/** `stop` as an array (or undefined). */
export function stopList(stop: OAIChatRequest['stop']): string[] | undefined {
  if (stop == null) return undefined;
  return typeof stop === 'string' ? [stop] : stop.length ? stop : undefined;
}

/** Tool-call arguments (a JSON string) as an object; invalid JSON is a client error. */
export function parseArguments(args: string, param: string): Record<string, unknown> {
  if (!args) return {};
  try {
    const v: unknown = JSON.parse(args);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* fall through */
  }
  throw new InvalidRequest('tool call arguments must be a JSON object', param);
}

/** The requested output cap: max_completion_tokens, then max_tokens. */
export function maxTokensOf(req: OAIChatRequest): number | undefined {
  const v = req.max_completion_tokens ?? req.max_tokens;
  return typeof v === 'number' ? v : undefined;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Builds OpenAI `chat.completion.chunk` SSE frames for one choice. Every method returns the bytes to send.
 */
export class ChunkWriter {
  private readonly created = nowSeconds();
  private roleSent = false;
  constructor(
    private id: string,
    private readonly model: string,
  ) {}

  setId(id: string): void {
    if (!this.roleSent) this.id = id;
  }

  private frame(delta: OAIChatChunk['choices'][number]['delta'], finish: OAIFinishReason | null = null): string {
    if (!this.roleSent) {
      delta = { role: 'assistant', ...delta };
      this.roleSent = true;
    }
    const chunk: OAIChatChunk = {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    };
    return `data: ${JSON.stringify(chunk)}\n\n`;
  }

  start(): string {
    return this.roleSent ? '' : this.frame({ content: '' });
  }

  text(t: string): string {
    return t ? this.frame({ content: t }) : '';
  }

  toolCallStart(index: number, id: string, name: string, args = ''): string {
    return this.frame({ tool_calls: [{ index, id, type: 'function', function: { name, arguments: args } }] });
  }

  toolCallArgs(index: number, args: string): string {
    return args ? this.frame({ tool_calls: [{ index, function: { arguments: args } }] }) : '';
  }

  finish(reason: OAIFinishReason): string {
    return this.frame({}, reason);
  }

  /** The usage chunk (`choices: []`), as OpenAI sends it with `stream_options.include_usage`. */
  usage(u: Usage): string {
    const chunk: OAIChatChunk = { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage: toOAIUsage(u) };
    return `data: ${JSON.stringify(chunk)}\n\n`;
  }

  /** An error inside an already-started stream (OpenAI's shape), followed by nothing else. */
  error(message: string, type: string, code: string | null): string {
    return `data: ${JSON.stringify({ error: { message, type, code, param: null } })}\n\n`;
  }

  done(): string {
    return 'data: [DONE]\n\n';
  }
}

/** Assemble a non-streaming OpenAI chat completion. */
export function buildCompletion(
  id: string,
  model: string,
  text: string | null,
  toolCalls: OAIToolCall[],
  finish: OAIFinishReason | null,
  usage: Usage | undefined,
): OAIChatCompletion {
  const message: OAIChatCompletion['choices'][number]['message'] = { role: 'assistant', content: text, refusal: null };
  if (toolCalls.length) message.tool_calls = toolCalls;
  const out: OAIChatCompletion = {
    id,
    object: 'chat.completion',
    created: nowSeconds(),
    model,
    choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
  };
  if (usage) out.usage = toOAIUsage(usage);
  return out;
}
