import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch } from 'undici';
import { startMockUpstream, type MockUpstream } from './server.js';

let mock: MockUpstream;
const agent = new Agent({ keepAliveTimeout: 1000 });

before(async () => {
  mock = await startMockUpstream({ port: 0 });
});
after(async () => {
  await mock.close();
  await agent.close();
});

const chatBody = (extra: Record<string, unknown> = {}) => ({ model: 'mock-1', messages: [{ role: 'user', content: 'tell me a story' }], ...extra });

async function post(path: string, body: unknown, init: { signal?: AbortSignal; headers?: Record<string, string> } = {}) {
  const res = await fetch(mock.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    dispatcher: agent,
    signal: init.signal,
  });
  return res;
}

/** Parsed response JSON: the tests probe it field by field. */
// biome-ignore lint: test-only loose JSON
type J = any;

async function json(path: string, body: unknown): Promise<{ status: number; body: J }> {
  const res = await post(path, body);
  return { status: res.status, body: (await res.json()) as J };
}

/** The parsed `data:` payloads of an SSE body, `[DONE]` kept as a string. */
async function sse(path: string, body: unknown): Promise<J[]> {
  const res = await post(path, body);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice(6))
    .map((d) => (d === '[DONE]' ? d : JSON.parse(d)));
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), what);
}

describe('mock upstream: chat', () => {
  it('answers deterministically with usage', async () => {
    const a = await json('/v1/chat/completions', chatBody());
    const b = await json('/v1/chat/completions', chatBody());
    assert.equal(a.status, 200);
    assert.equal(a.body.object, 'chat.completion');
    const text: string = a.body.choices[0].message.content;
    assert.equal(text, b.body.choices[0].message.content);
    assert.equal(a.body.usage.completion_tokens, text.split(' ').length);
    assert.equal(a.body.usage.prompt_tokens, 4);
    assert.equal(a.body.usage.total_tokens, a.body.usage.prompt_tokens + a.body.usage.completion_tokens);
    const other = await json('/v1/chat/completions', chatBody({ messages: [{ role: 'user', content: 'something else' }] }));
    assert.notEqual(other.body.choices[0].message.content, text);
  });

  it('honours n, max_tokens, max_completion_tokens and stop', async () => {
    const n = await json('/v1/chat/completions', chatBody({ n: 3 }));
    assert.equal(n.body.choices.length, 3);
    assert.deepEqual(n.body.choices.map((c: J) => c.index), [0, 1, 2]);
    const short = await json('/v1/chat/completions', chatBody({ max_tokens: 2 }));
    assert.equal(short.body.choices[0].finish_reason, 'length');
    assert.equal(short.body.choices[0].message.content.split(' ').length, 2);
    assert.equal(short.body.usage.completion_tokens, 2);
    const mct = await json('/v1/chat/completions', chatBody({ max_completion_tokens: 1 }));
    assert.equal(mct.body.usage.completion_tokens, 1);
    const full: string = (await json('/v1/chat/completions', chatBody())).body.choices[0].message.content;
    const third = full.split(' ')[2]!;
    const stopped = await json('/v1/chat/completions', chatBody({ stop: [' ' + third] }));
    assert.equal(stopped.body.choices[0].finish_reason, 'stop');
    assert.equal(stopped.body.choices[0].message.content, full.slice(0, full.indexOf(' ' + third)));
  });

  it('streams OpenAI-shaped chunks with include_usage and [DONE]', async () => {
    const plain = (await json('/v1/chat/completions', chatBody())).body;
    const events = await sse('/v1/chat/completions', chatBody({ stream: true, stream_options: { include_usage: true } }));
    assert.equal(events.at(-1), '[DONE]');
    const chunks = events.slice(0, -1);
    for (const c of chunks) assert.equal(c.object, 'chat.completion.chunk');
    assert.deepEqual(chunks[0].choices[0].delta, { role: 'assistant', content: '', refusal: null });
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    assert.equal(text, plain.choices[0].message.content);
    const last = chunks.at(-1);
    assert.deepEqual(last.choices, []);
    assert.deepEqual(last.usage, plain.usage);
    assert.equal(chunks.at(-2).choices[0].finish_reason, 'stop');
    assert.equal(chunks.at(-2).usage, null);
    const noUsage = await sse('/v1/chat/completions', chatBody({ stream: true }));
    assert.ok(noUsage.slice(0, -1).every((c) => !('usage' in c)));
  });

  it('calls a tool with arguments built from its schema, in JSON and streamed', async () => {
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' }, unit: { enum: ['c', 'f'] }, days: { type: 'integer' }, hourly: { type: 'boolean' } },
            required: ['city'],
          },
        },
      },
    ];
    const weather = { messages: [{ role: 'user', content: 'What is the weather in Paris?' }] };
    const res = await json('/v1/chat/completions', chatBody({ ...weather, tools, tool_choice: 'auto' }));
    const choice = res.body.choices[0];
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, null);
    const call = choice.message.tool_calls[0];
    assert.equal(call.type, 'function');
    assert.equal(call.function.name, 'get_weather');
    const args = JSON.parse(call.function.arguments);
    assert.equal(typeof args.city, 'string');
    assert.ok(['c', 'f'].includes(args.unit));
    assert.ok(Number.isInteger(args.days));
    assert.equal(typeof args.hourly, 'boolean');

    const events = (await sse('/v1/chat/completions', chatBody({ ...weather, tools, stream: true }))).slice(0, -1);
    const first = events[0].choices[0].delta.tool_calls[0];
    assert.equal(first.id, call.id);
    assert.equal(first.function.name, 'get_weather');
    const streamedArgs = events.map((e) => e.choices[0].delta.tool_calls?.[0]?.function?.arguments ?? '').join('');
    assert.equal(streamedArgs, call.function.arguments);
    assert.equal(events.at(-1).choices[0].finish_reason, 'tool_calls');

    const none = await json('/v1/chat/completions', chatBody({ ...weather, tools, tool_choice: 'none' }));
    assert.equal(typeof none.body.choices[0].message.content, 'string');
  });

  it('answers bad JSON and missing fields with OpenAI-shaped 400s, unknown paths with 404', async () => {
    const bad = await json('/v1/chat/completions', '{"model": ');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.type, 'invalid_request_error');
    const missing = await json('/v1/chat/completions', { model: 'mock-1' });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.param, 'messages');
    const noModel = await json('/v1/embeddings', { input: 'x' });
    assert.equal(noModel.body.error.param, 'model');
    const unknown = await json('/v1/nothing', {});
    assert.equal(unknown.status, 404);
    assert.ok(unknown.body.error.message);
  });
});

describe('mock upstream: completions, embeddings, models', () => {
  it('completes text, streamed and not', async () => {
    const res = await json('/v1/completions', { model: 'mock-1', prompt: 'once upon', max_tokens: 5 });
    assert.equal(res.body.object, 'text_completion');
    assert.equal(res.body.choices[0].finish_reason, 'length');
    assert.equal(res.body.usage.completion_tokens, 5);
    const events = await sse('/v1/completions', { model: 'mock-1', prompt: 'once upon', max_tokens: 5, stream: true });
    assert.equal(events.slice(0, -1).map((e) => e.choices[0].text).join(''), res.body.choices[0].text);
  });

  it('embeds as floats or base64, honouring dimensions', async () => {
    const f = await json('/v1/embeddings', { model: 'mock-embed', input: ['a b', 'c'], dimensions: 8 });
    assert.equal(f.body.data.length, 2);
    const v: number[] = f.body.data[0].embedding;
    assert.equal(v.length, 8);
    assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-5);
    assert.equal(f.body.usage.prompt_tokens, 3);
    const b = await json('/v1/embeddings', { model: 'mock-embed', input: 'a b', dimensions: 8, encoding_format: 'base64' });
    const buf = Buffer.from(b.body.data[0].embedding as string, 'base64');
    const decoded = Array.from(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4));
    assert.deepEqual(decoded, v);
    const dflt = await json('/v1/embeddings', { model: 'mock-embed', input: 'x' });
    assert.equal(dflt.body.data[0].embedding.length, 1536);
  });

  it('lists models', async () => {
    const res = await fetch(mock.url + '/v1/models', { dispatcher: agent });
    const body = (await res.json()) as J;
    assert.deepEqual(body.data.map((m: J) => m.id).sort(), ['mock-1', 'mock-embed']);
  });
});

describe('mock upstream: faults and stats', () => {
  it('records what was sent and counts requests by path', async () => {
    mock.reset();
    await json('/v1/chat/completions', chatBody({ extra_field: 1 }));
    await (await post('/v1/embeddings', { model: 'mock-embed', input: 'x' }, { headers: { 'x-test': 'yes' } })).text();
    const s = mock.stats();
    assert.equal(s.requests['/v1/chat/completions'], 1);
    assert.equal(s.requests['/v1/embeddings'], 1);
    assert.equal(s.completed, 2);
    assert.equal(s.inFlight, 0);
    assert.equal(s.lastRequest?.headers['x-test'], 'yes');
    assert.deepEqual(s.lastRequest?.body, { model: 'mock-embed', input: 'x' });
    const viaHttp = (await (await fetch(mock.url + '/__mock/stats', { dispatcher: agent })).json()) as J;
    assert.equal(viaHttp.total, 2);
  });

  it('injects a status per request and per server (fail_rate), settable over HTTP', async () => {
    const r = await json('/v1/chat/completions', chatBody({ mock: { status: 429 } }));
    assert.equal(r.status, 429);
    assert.equal(r.body.error.code, 'rate_limit_exceeded');
    mock.setFaults({ status: 503 });
    assert.equal((await json('/v1/chat/completions', chatBody())).status, 503);
    mock.setFaults({});
    const set = await post('/__mock/faults', { fail_rate: 0.5 });
    assert.equal(set.status, 200);
    await set.text();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await json('/v1/chat/completions', chatBody())).status);
    assert.deepEqual(statuses, [200, 500, 200, 500]);
    mock.reset();
    assert.equal((await json('/v1/chat/completions', chatBody())).status, 200);
  });

  it('counts a client that goes away from a hung request, and from a slow stream, as aborted', async () => {
    mock.reset();
    const ac = new AbortController();
    const pending = post('/v1/chat/completions', chatBody({ mock: { hang: true } }), { signal: ac.signal });
    await until(() => mock.stats().inFlight === 1, 'the hung request is in flight');
    ac.abort();
    await assert.rejects(pending);
    await until(() => mock.stats().aborted === 1, 'the hung request is counted as aborted');

    const ac2 = new AbortController();
    const res = await post('/v1/chat/completions', chatBody({ stream: true, mock: { chunk_delay_ms: 20, chunks: 200 } }), { signal: ac2.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ac2.abort();
    await until(() => mock.stats().aborted === 2, 'the stream is counted as aborted');
    assert.equal(mock.stats().inFlight, 0);
    assert.equal(mock.stats().completed, 0);
  });

  it('delays, forces a chunk count, and cuts a stream after N chunks', async () => {
    const events = await sse('/v1/chat/completions', chatBody({ stream: true, mock: { delay_ms: 30, chunks: 7 } }));
    assert.equal(events.filter((e) => e !== '[DONE]' && e.choices[0]?.delta.content).length, 7);
    mock.reset();
    const res = await post('/v1/chat/completions', chatBody({ stream: true, mock: { error_after_chunks: 3 } }));
    await assert.rejects(res.text());
    await until(() => mock.stats().faulted === 1, 'the cut stream is counted');
  });
});
