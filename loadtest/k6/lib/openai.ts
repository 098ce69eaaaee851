/** OpenAI-API calls and checks shared by the k6 scenarios. */
import { check, fail } from 'k6';
import http, { type RefinedResponse, type ResponseType } from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import type { Settings } from './config.js';

export type Res = RefinedResponse<ResponseType | undefined>;

export const timeToFirstToken = new Trend('time_to_first_token', true);
export const interTokenLatency = new Trend('inter_token_latency', true);
export const streamChunks = new Trend('stream_chunks');
export const completionTokens = new Counter('completion_tokens');

export function params(s: Settings, name: string, extra: Record<string, unknown> = {}) {
  return {
    headers: { authorization: `Bearer ${s.apiKey}`, 'content-type': 'application/json' },
    tags: { name },
    timeout: '120s',
    ...extra,
  };
}

/** A prompt that differs per VU and iteration, so no cache in the path answers it. */
export function prompt(): string {
  return `Write a short note about load testing. vu=${__VU} iter=${__ITER}`;
}

export function chatBody(s: Settings, model: string, stream: boolean): string {
  return JSON.stringify({
    model,
    messages: [{ role: 'user', content: prompt() }],
    max_tokens: s.maxTokens,
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
  });
}

interface ChatJson {
  choices?: { message?: { content?: string | null; tool_calls?: unknown[] } }[];
  usage?: { completion_tokens?: number };
  error?: { message?: string; type?: string };
}

function parse<T>(res: Res): T | undefined {
  try {
    return JSON.parse(typeof res.body === 'string' ? res.body : '') as T;
  } catch {
    return undefined;
  }
}

export function header(res: Res, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const k in res.headers) if (k.toLowerCase() === lower) return res.headers[k];
  return undefined;
}

/** POST /v1/chat/completions (JSON) and its checks. */
export function chat(s: Settings, model = s.model): Res {
  const res = http.post(`${s.baseUrl}/v1/chat/completions`, chatBody(s, model, false), params(s, 'chat'));
  const body = parse<ChatJson>(res);
  check(res, {
    'chat: status 200': (r) => r.status === 200,
    'chat: has a message': () => typeof body?.choices?.[0]?.message?.content === 'string',
    'chat: reports usage': () => typeof body?.usage?.completion_tokens === 'number',
  });
  if (body?.usage?.completion_tokens) completionTokens.add(body.usage.completion_tokens, { model });
  return res;
}

export interface SseSummary {
  contentChunks: number;
  done: boolean;
  usage: { completion_tokens?: number } | undefined;
  malformed: number;
}

/** Reads an SSE body: counts chunks that carry content, finds `[DONE]` and the usage chunk. */
export function readSse(body: string): SseSummary {
  const out: SseSummary = { contentChunks: 0, done: false, usage: undefined, malformed: 0 };
  for (const event of body.split('\n\n')) {
    for (const line of event.split('\n')) {
      if (!line.startsWith('data:')) continue; // comments (`: keep-alive`) and other fields
      const data = line.slice(5).trim();
      if (data === '[DONE]') {
        out.done = true;
        continue;
      }
      try {
        const chunk = JSON.parse(data) as { choices?: { delta?: { content?: string } }[]; usage?: { completion_tokens?: number } | null };
        if (chunk.choices?.some((c) => typeof c.delta?.content === 'string' && c.delta.content.length > 0)) out.contentChunks++;
        if (chunk.usage) out.usage = chunk.usage;
      } catch {
        out.malformed++;
      }
    }
  }
  return out;
}

/**
 * POST /v1/chat/completions with `stream: true`. k6 hands over the body whole, so time to first token is the
 * time to the first response byte (`timings.waiting`; the gateway flushes headers with the first chunk), and
 * inter-token latency is the mean gap: the receiving time spread over the content chunks.
 */
export function chatStream(s: Settings, model = s.model): Res {
  const res = http.post(`${s.baseUrl}/v1/chat/completions`, chatBody(s, model, true), params(s, 'chat_stream'));
  const body = typeof res.body === 'string' ? res.body : '';
  const sse = readSse(body);
  check(res, {
    'stream: status 200': (r) => r.status === 200,
    'stream: is SSE': (r) => (header(r, 'content-type') ?? '').includes('text/event-stream'),
    'stream: has content': () => sse.contentChunks > 0,
    'stream: ends with [DONE]': () => sse.done,
    'stream: reports usage': () => typeof sse.usage?.completion_tokens === 'number',
    'stream: no malformed chunk': () => sse.malformed === 0,
  });
  if (res.status === 200 && sse.contentChunks > 0) {
    timeToFirstToken.add(res.timings.waiting, { model });
    streamChunks.add(sse.contentChunks, { model });
    if (sse.contentChunks > 1) interTokenLatency.add(res.timings.receiving / (sse.contentChunks - 1), { model });
  }
  if (sse.usage?.completion_tokens) completionTokens.add(sse.usage.completion_tokens, { model });
  return res;
}

/** POST /v1/embeddings and its checks. */
export function embed(s: Settings, model = s.embedModel): Res {
  const res = http.post(
    `${s.baseUrl}/v1/embeddings`,
    JSON.stringify({ model, input: [prompt()], encoding_format: 'float' }),
    params(s, 'embeddings'),
  );
  const body = parse<{ data?: { embedding?: number[] }[] }>(res);
  check(res, {
    'embeddings: status 200': (r) => r.status === 200,
    'embeddings: has a vector': () => (body?.data?.[0]?.embedding?.length ?? 0) > 0,
  });
  return res;
}

/** setup(): the key works and the models exist, or the run stops before it starts. */
export function preflight(s: Settings, models: string[]): { models: string[] } {
  if (!s.apiKey) fail('API_KEY is not set');
  const res = http.get(`${s.baseUrl}/v1/models`, params(s, 'models'));
  if (res.status !== 200) fail(`GET /v1/models answered ${res.status}: check BASE_URL and API_KEY`);
  const listed = (parse<{ data?: { id: string }[] }>(res)?.data ?? []).map((m) => m.id);
  const missing = models.filter((m) => !listed.includes(m));
  if (missing.length > 0) fail(`models not served by ${s.baseUrl}: ${missing.join(', ')} (listed: ${listed.join(', ')})`);
  return { models: listed };
}
