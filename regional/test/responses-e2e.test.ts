/**
 * The Responses API with the official `openai` client, unmodified, through the local edge and a gateway
 * process: against mock-1 (OpenAI-compatible, translated through chat completions) and against the recorded
 * Anthropic upstream (translated to Messages). Plain, streamed, function tools with their outputs, a follow-up
 * through previous_response_id, GET / DELETE / input_items, and a key that is not the owner.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startLocalEdge, type LocalEdge } from '../../edge/local/server.js';
import { createEdgePublisher } from '../../edge/publisher/index.js';
import { startMockUpstream, type MockUpstream } from '../../loadtest/mock/server.js';
import { freePort } from '../../test-support/free-port.js';
import { mockConfig, startGatewayProcess, type GatewayProcess } from '../../test-support/gateway.js';
import { startRecordedProvider, type RecordedProvider } from '../../test-support/providers-recorded.js';

let mock: MockUpstream;
let anthropicUp: RecordedProvider;
let gw: GatewayProcess;
let edge: LocalEdge;
let client: OpenAI;
let dir: string;

const weather: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Current weather for a place',
  parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'], additionalProperties: false },
  strict: true,
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skyway-responses-'));
  mock = await startMockUpstream({ port: 0 });
  anthropicUp = await startRecordedProvider('anthropic');
  const passThrough = `  - name: mock-responses\n    deployments:\n      - provider: openai\n        model: mock-1\n        api_base: ${mock.url}/v1\n        options: { responses_api: true }\n`;
  gw = await startGatewayProcess({ config: mockConfig(mock.url) + passThrough + anthropicUp.modelYaml('claude-chat'), env: anthropicUp.env });
  const publisher = createEdgePublisher({ localFile: join(dir, 'kvs.json') });
  await publisher.setMasterKey(gw.masterKey);
  await publisher.flush();
  edge = await startLocalEdge({ host: '127.0.0.1', port: await freePort(), originUrl: gw.url, kvsFile: join(dir, 'kvs.json') });
  client = new OpenAI({ apiKey: gw.masterKey, baseURL: `http://127.0.0.1:${edge.port}/v1`, maxRetries: 0, timeout: 10_000 });
});
after(async () => {
  await edge?.close();
  await gw?.stop();
  await mock?.close();
  await anthropicUp?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('responses API through the local edge (mock-1, translated through chat completions)', () => {
  it('plain: output_text, usage, stored and readable, input_items, delete', async () => {
    const r = await client.responses.create({ model: 'mock-1', input: 'Say something', instructions: 'Be brief.', max_output_tokens: 6 });
    assert.equal(r.object, 'response');
    assert.match(r.id, /^resp_/);
    // The mock stops at the cap with finish_reason "length": a Response cut short is "incomplete".
    assert.equal(r.status, 'incomplete');
    assert.equal(r.incomplete_details?.reason, 'max_output_tokens');
    assert.equal(r.output_text.split(' ').length, 6);
    assert.equal(r.usage?.output_tokens, 6);
    assert.ok((r.usage?.input_tokens ?? 0) > 0);
    assert.equal(r.instructions, 'Be brief.');

    const again = await client.responses.retrieve(r.id);
    assert.equal(again.id, r.id);
    assert.equal(again.output_text, r.output_text);
    const items = await client.responses.inputItems.list(r.id);
    assert.equal(items.data.length, 1);
    const first = items.data[0] as { type?: string; role?: string };
    assert.equal(first.role, 'user');

    const deleted = (await client.responses.delete(r.id)) as unknown as { id: string; deleted: boolean };
    assert.deepEqual(deleted, { id: r.id, object: 'response', deleted: true });
    await assert.rejects(client.responses.retrieve(r.id), (e: unknown) => e instanceof OpenAI.NotFoundError);
  });

  it('streamed: the typed events in order, text deltas joined, usage in response.completed', async () => {
    const stream = await client.responses.create({ model: 'mock-1', input: 'Stream please', max_output_tokens: 5, stream: true });
    const types: string[] = [];
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'response.output_text.delta') text += ev.delta;
      if (ev.type === 'response.completed' || ev.type === 'response.incomplete') completed = ev.response;
    }
    assert.deepEqual(types.slice(0, 4), ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    assert.deepEqual(types.slice(-4), ['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.incomplete']);
    assert.equal(text.split(' ').length, 5);
    assert.equal(completed?.usage?.output_tokens, 5);
    assert.equal(completed?.output_text ?? (completed?.output[0] as { content?: Array<{ text: string }> })?.content?.[0]?.text, text);
  });

  it('function tools: a function_call, its output, and a follow-up through previous_response_id', async () => {
    const r1 = await client.responses.create({ model: 'mock-1', input: 'Weather in Paris?', tools: [weather] });
    const call = r1.output.find((o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call');
    assert.ok(call, 'no function_call item');
    assert.equal(call.name, 'get_weather');
    assert.equal(typeof JSON.parse(call.arguments).location, 'string');

    const r2 = await client.responses.create({
      model: 'mock-1',
      previous_response_id: r1.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '12 degrees' }],
      tool_choice: 'none',
      tools: [weather],
    });
    assert.equal(r2.previous_response_id, r1.id);
    assert.ok(r2.output_text.length > 0);
    // The conversation reached the upstream: the first question, the call and its output.
    const sent = mock.stats().lastRequest?.body as { messages?: Array<{ role: string; tool_calls?: unknown[]; tool_call_id?: string }> } | null;
    const roles = sent?.messages?.map((m) => m.role);
    assert.deepEqual(roles, ['user', 'assistant', 'tool']);
    assert.equal(sent?.messages?.[2]?.tool_call_id, call.call_id);
  });

  it('streamed function call: arguments deltas and done', async () => {
    const stream = await client.responses.create({ model: 'mock-1', input: 'Weather?', tools: [weather], stream: true });
    let args = '';
    let done = '';
    for await (const ev of stream) {
      if (ev.type === 'response.function_call_arguments.delta') args += ev.delta;
      if (ev.type === 'response.function_call_arguments.done') done = ev.arguments;
    }
    assert.ok(args.length > 0);
    assert.equal(done, args);
  });

  it('an unknown previous_response_id is a 404 in OpenAI shape', async () => {
    await assert.rejects(client.responses.create({ model: 'mock-1', input: 'x', previous_response_id: 'resp_nope' }), (e: unknown) => e instanceof OpenAI.NotFoundError && /resp_nope/.test(e.message));
  });

  it('text.format json_schema reaches the upstream as response_format', async () => {
    await client.responses.create({
      model: 'mock-1',
      input: 'Give me a city',
      text: { format: { type: 'json_schema', name: 'city', schema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false }, strict: true } },
    });
    const sent = mock.stats().lastRequest?.body as { response_format?: { type: string; json_schema?: { name: string } } } | null;
    assert.equal(sent?.response_format?.type, 'json_schema');
    assert.equal(sent?.response_format?.json_schema?.name, 'city');
  });
});

describe('responses API against a translated provider (recorded Anthropic)', () => {
  it('plain and streamed text, with the recording\'s usage', async () => {
    const r = await client.responses.create({ model: 'claude-chat', input: 'Hello' });
    assert.equal(r.output_text, anthropicUp.expect.text);
    assert.equal(r.usage?.input_tokens, anthropicUp.expect.textUsage.prompt);
    assert.equal(r.usage?.output_tokens, anthropicUp.expect.textUsage.completion);

    const stream = await client.responses.create({ model: 'claude-chat', input: 'Hello', stream: true });
    let text = '';
    let usage: OpenAI.Responses.ResponseUsage | undefined;
    for await (const ev of stream) {
      if (ev.type === 'response.output_text.delta') text += ev.delta;
      if (ev.type === 'response.completed') usage = ev.response.usage;
    }
    assert.equal(text, anthropicUp.expect.streamText);
    assert.equal(usage?.output_tokens, anthropicUp.expect.streamUsage.completion);
  });

  it('tool use, then the tool output through previous_response_id', async () => {
    const r1 = await client.responses.create({ model: 'claude-chat', input: 'Weather?', tools: [weather] });
    const call = r1.output.find((o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call');
    assert.ok(call);
    assert.equal(call.name, anthropicUp.expect.tool.name);
    assert.deepEqual(JSON.parse(call.arguments), anthropicUp.expect.tool.args);
    const r2 = await client.responses.create({ model: 'claude-chat', previous_response_id: r1.id, input: [{ type: 'function_call_output', call_id: call.call_id, output: '12 degrees' }], tools: [weather] });
    assert.equal(r2.output_text, anthropicUp.expect.afterToolText);
    const sent = anthropicUp.upstream.received.at(-1)!.body.toString('utf8');
    assert.ok(sent.includes('"tool_result"') && sent.includes(call.call_id), 'the tool result did not reach Anthropic');
  });
});

describe('responses API passed through to an upstream that speaks it (mock-1 marked responses_api)', () => {
  it('plain: the body reaches /v1/responses as sent (model mapped), the answer comes back untouched, cost from its usage', async () => {
    const { data: r, response } = await client.responses.create({ model: 'mock-responses', input: 'Say something', max_output_tokens: 4 }).withResponse();
    const got = mock.stats().lastRequest!;
    assert.equal(got.path, '/v1/responses');
    assert.deepEqual(got.body, { model: 'mock-1', input: 'Say something', max_output_tokens: 4 });
    assert.match(r.id, /^resp_mock/);
    assert.equal(r.output_text.split(' ').length, 4);
    assert.equal(r.usage?.output_tokens, 4);
    assert.ok(response.headers.get('x-skyway-deployment'));
  });

  it('streamed: the upstream\'s events, usage in the last one, no chat stream_options sent upstream', async () => {
    const stream = await client.responses.create({ model: 'mock-responses', input: 'Stream please', max_output_tokens: 3, stream: true });
    const types: string[] = [];
    let text = '';
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'response.output_text.delta') text += ev.delta;
    }
    assert.equal((mock.stats().lastRequest!.body as Record<string, unknown>).stream_options, undefined);
    assert.equal(types[0], 'response.created');
    assert.equal(types.at(-1), 'response.incomplete');
    assert.equal(text.split(' ').length, 3);
  });

  it('a conversation stored by the gateway (translated model) continues on the pass-through model, its items inlined', async () => {
    const r1 = await client.responses.create({ model: 'mock-1', input: 'First question' });
    await client.responses.create({ model: 'mock-responses', previous_response_id: r1.id, input: 'Second question' });
    const body = mock.stats().lastRequest!.body as { input: Array<{ role?: string; content?: unknown }>; previous_response_id?: string };
    assert.equal(body.previous_response_id, undefined);
    assert.deepEqual(body.input.map((i) => i.role), ['user', 'assistant', 'user']);
    assert.equal(body.input[0]!.content, 'First question');
  });
});
