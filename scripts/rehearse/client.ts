/**
 * A viewer of the rehearsal: HTTP calls to the CloudFront stand-in with the public host name in `Host`
 * (undici, which lets a client set Host), JSON bodies, and SSE streams read to the end.
 */
import { Agent, request } from 'undici';

const agent = new Agent({ connections: 256, keepAliveTimeout: 10_000 });

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = any>(): T;
}

export async function call(base: string, host: string, method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> {
  const res = await request(base + path, {
    dispatcher: agent,
    method: method as 'GET',
    headers: {
      host,
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    },
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) };
}

/** A chat completion body for `model`. */
export const chatBody = (model: string, stream = false) => ({
  model,
  messages: [{ role: 'user', content: 'Say hello to the rehearsal.' }],
  max_tokens: 16,
  ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
});

export interface StreamResult {
  status: number;
  /** `data: [DONE]` arrived. */
  complete: boolean;
  chunks: number;
  text: string;
}

/** POST a streaming chat completion and read every event. */
export async function stream(base: string, host: string, token: string, model: string, headers: Record<string, string> = {}): Promise<StreamResult> {
  const res = await call(base, host, 'POST', '/v1/chat/completions', { token, body: chatBody(model, true), headers });
  const events = res.text.split('\n\n').filter((e) => e.startsWith('data: '));
  return { status: res.status, complete: events.at(-1)?.trim() === 'data: [DONE]', chunks: events.length, text: res.text };
}

export async function closeClient(): Promise<void> {
  await agent.close();
}
