/** The official `openai` client (v6) pointed at the mock: every shape it parses must come out right. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI, { type ClientOptions } from 'openai';
import { Agent } from 'undici';
import { startMockUpstream, type MockUpstream } from './server.js';

let mock: MockUpstream;
let client: OpenAI;
const agent = new Agent({ keepAliveTimeout: 1000 });

before(async () => {
  mock = await startMockUpstream({ port: 0 });
  client = new OpenAI({ apiKey: 'sk-mock', baseURL: `${mock.url}/v1`, maxRetries: 0, fetchOptions: { dispatcher: agent } as unknown as ClientOptions['fetchOptions'] });
});
after(async () => {
  await mock.close();
  await agent.close();
});

describe('openai client against the mock upstream', () => {
  it('chat', async () => {
    const r = await client.chat.completions.create({ model: 'mock-1', messages: [{ role: 'user', content: 'hello' }] });
    assert.equal(r.choices[0]?.message.role, 'assistant');
    assert.ok((r.choices[0]?.message.content ?? '').length > 0);
    assert.ok((r.usage?.completion_tokens ?? 0) > 0);
    assert.equal(mock.stats().lastRequest?.headers.authorization, 'Bearer sk-mock');
  });

  it('streamed chat with usage', async () => {
    const plain = await client.chat.completions.create({ model: 'mock-1', messages: [{ role: 'user', content: 'hello' }] });
    const stream = await client.chat.completions.create({
      model: 'mock-1',
      messages: [{ role: 'user', content: 'hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, plain.choices[0]?.message.content);
    assert.deepEqual(usage, plain.usage);
  });

  it('streamed tool call through the SDK helper', async () => {
    const runner = client.chat.completions.stream({
      model: 'mock-1',
      messages: [{ role: 'user', content: 'lookup the weather?' }],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
    });
    const final = await runner.finalChatCompletion();
    const call = final.choices[0]?.message.tool_calls?.[0];
    assert.ok(call && call.type === 'function');
    assert.equal(call.function.name, 'lookup');
    assert.equal(typeof (JSON.parse(call.function.arguments) as { q: unknown }).q, 'string');
  });

  it('completions', async () => {
    const r = await client.completions.create({ model: 'mock-1', prompt: 'say something', max_tokens: 4 });
    assert.equal(r.choices[0]?.finish_reason, 'length');
    assert.equal(r.usage?.completion_tokens, 4);
  });

  it('embeddings (the SDK asks for base64 and decodes it)', async () => {
    const r = await client.embeddings.create({ model: 'mock-embed', input: 'hello world', dimensions: 16 });
    const v = r.data[0]?.embedding ?? [];
    assert.equal(v.length, 16);
    assert.ok(v.every((x) => typeof x === 'number' && Number.isFinite(x)));
    assert.equal((mock.stats().lastRequest?.body as { encoding_format?: string }).encoding_format, 'base64');
  });

  it('models', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.ok(ids.includes('mock-1') && ids.includes('mock-embed'));
  });
});
