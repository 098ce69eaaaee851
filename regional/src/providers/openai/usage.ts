/**
 * Reads `usage` out of OpenAI-shaped bodies without parsing whole responses: the gateway passes bodies
 * through untouched and only needs the token counts, which OpenAI-compatible servers put at the end.
 */
import type { Usage } from '../adapter.js';

const USAGE_KEY = Buffer.from('"usage"');

interface RawUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
  /** The Responses API's names for the same counts. */
  input_tokens?: number;
  output_tokens?: number;
  input_tokens_details?: { cached_tokens?: number } | null;
  output_tokens_details?: { reasoning_tokens?: number } | null;
  /** Not OpenAI's: LiteLLM's and Skyway's extension for prompt-cache writes (Anthropic-family upstreams). */
  cache_creation_input_tokens?: number;
}

/** The end index (exclusive) of the JSON object starting at `start` (a `{`), or -1. */
function objectEnd(buf: Buffer, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < buf.length; i++) {
    const c = buf[i]!;
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */) depth++;
    else if (c === 0x7d /* } */ && --depth === 0) return i + 1;
  }
  return -1;
}

export function toUsage(raw: RawUsage | null | undefined): Usage | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const prompt = Number(raw.prompt_tokens ?? raw.input_tokens ?? 0);
  const completion = Number(raw.completion_tokens ?? raw.output_tokens ?? 0);
  const usage: Usage = { promptTokens: prompt, completionTokens: completion, totalTokens: Number(raw.total_tokens ?? prompt + completion) };
  const cached = (raw.prompt_tokens_details ?? raw.input_tokens_details)?.cached_tokens;
  if (typeof cached === 'number') usage.cachedPromptTokens = cached;
  const reasoning = (raw.completion_tokens_details ?? raw.output_tokens_details)?.reasoning_tokens;
  if (typeof reasoning === 'number' && reasoning > 0) usage.reasoningTokens = reasoning;
  if (typeof raw.cache_creation_input_tokens === 'number' && raw.cache_creation_input_tokens > 0) usage.cacheWriteTokens = raw.cache_creation_input_tokens;
  return usage;
}

/** Usage of a JSON response body (the last top-level-looking `"usage": {…}`), if any. */
export function usageFromJson(body: Buffer, from = 0): Usage | undefined {
  const at = body.lastIndexOf(USAGE_KEY);
  if (at < from) return undefined;
  let i = at + USAGE_KEY.length;
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x3a /* : */ || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09)) i++;
  if (body[i] !== 0x7b) return undefined; // "usage": null
  const end = objectEnd(body, i);
  if (end < 0) return undefined;
  try {
    return toUsage(JSON.parse(body.toString('utf8', i, end)) as RawUsage);
  } catch {
    return undefined;
  }
}

/**
 * Watches an OpenAI SSE stream for the chunk that carries usage (sent last when
 * `stream_options.include_usage` is set). Bytes are inspected, never copied, unless an event is split
 * across reads right where usage appears.
 */
export class SseUsageSniffer {
  usage: Usage | undefined;
  private partial: Buffer | undefined;

  observe(chunk: Buffer): void {
    let buf = chunk;
    if (this.partial) {
      buf = Buffer.concat([this.partial, chunk]);
      this.partial = undefined;
    }
    const at = buf.lastIndexOf(USAGE_KEY);
    if (at < 0) {
      // Keep a short tail in case the key itself was split between reads.
      if (buf.length > 0 && buf.lastIndexOf(0x22) > buf.length - USAGE_KEY.length) this.partial = buf.subarray(buf.length - USAGE_KEY.length);
      return;
    }
    const lineStart = buf.lastIndexOf('data:', at);
    const start = lineStart < 0 ? 0 : lineStart;
    const u = usageFromJson(buf, start);
    if (u) this.usage = u;
    else if (buf.indexOf(0x0a, at) < 0) this.partial = Buffer.from(buf.subarray(start));
  }
}
