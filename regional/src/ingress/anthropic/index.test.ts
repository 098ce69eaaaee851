import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import anthropicAdapter from '../../providers/anthropic/index.js';
import geminiAdapter from '../../providers/gemini/index.js';
import bedrockAdapter from '../../providers/bedrock/index.js';
import { encodeEvent } from '../../providers/bedrock/event-stream.js';
import { chop, fixture, fixtureJson, startFakeUpstream, type FakeUpstream } from '../../../../test-support/providers-fake-upstream.js';
import { startMiniGateway, testDeployment, type MiniGateway } from '../../../../test-support/providers-mini-gateway.js';

const weather: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Weather for a city',
  input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
};

describe('Anthropic SDK → /v1/messages → Gemini (translated both ways)', () => {
  let up: FakeUpstream;
  let gw: MiniGateway;
  let client: Anthropic;
  before(async () => {
    up = await startFakeUpstream(() => ({ body: fixture('gemini/generate-text.json') }));
    gw = await startMiniGateway(geminiAdapter, testDeployment({ provider: 'gemini', apiBase: up.url, upstreamModel: 'gemini-2.5-flash', apiKey: 'k' }));
    client = new Anthropic({ apiKey: 'sk-ant-client', baseURL: gw.url, maxRetries: 0 });
  });
  after(async () => {
    await gw.close();
    await up.close();
  });

  test('messages.create: system, max_tokens, stop sequences; usage back in Anthropic terms', async () => {
    up.handle(() => ({ body: fixture('gemini/generate-text.json') }));
    const msg = await client.messages.create({ model: 'gemini-flash', max_tokens: 100, system: 'Be kind.', stop_sequences: ['END'], messages: [{ role: 'user', content: 'Hi' }] });
    assert.deepEqual(up.received.at(-1)!.json(), {
      contents: [{ role: 'user', parts: [{ text: 'Hi' }] }],
      systemInstruction: { parts: [{ text: 'Be kind.' }] },
      generationConfig: { maxOutputTokens: 100, stopSequences: ['END'] },
    });
    assert.equal(msg.type, 'message');
    assert.equal(msg.model, 'gemini-flash');
    assert.equal(msg.stop_reason, 'end_turn');
    assert.deepEqual(msg.content, [{ type: 'text', text: 'Hello there! How can I help you today?' }]);
    assert.equal(msg.usage.input_tokens, 8);
    assert.equal(msg.usage.output_tokens, 38);
  });

  test('tool use round trip: tool_use out, tool_result back in', async () => {
    up.handle(() => ({ body: fixture('gemini/generate-function-call.json') }));
    const first = await client.messages.create({ model: 'g', max_tokens: 200, tools: [weather], tool_choice: { type: 'any' }, messages: [{ role: 'user', content: 'Weather in Tokyo?' }] });
    assert.deepEqual(up.received.at(-1)!.json().toolConfig, { functionCallingConfig: { mode: 'ANY' } });
    assert.equal(first.stop_reason, 'tool_use');
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    assert.equal(use.name, 'get_weather');
    assert.deepEqual(use.input, { location: 'Tokyo' });

    up.handle(() => ({ body: fixture('gemini/generate-after-tool.json') }));
    const second = await client.messages.create({
      model: 'g',
      max_tokens: 200,
      tools: [weather],
      messages: [
        { role: 'user', content: 'Weather in Tokyo?' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '{"temp_c":22}' }] },
      ],
    });
    assert.deepEqual(up.received.at(-1)!.json().contents, [
      { role: 'user', parts: [{ text: 'Weather in Tokyo?' }] },
      { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { location: 'Tokyo' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temp_c: 22 } } }] },
    ]);
    assert.deepEqual(second.content, [{ type: 'text', text: "It's 22°C and sunny in Tokyo." }]);
  });

  test('streaming: the SDK assembles the final message from translated events', async () => {
    up.handle(() => ({ body: chop(fixture('gemini/stream-text.sse'), 40) }));
    const stream = client.messages.stream({ model: 'g', max_tokens: 100, messages: [{ role: 'user', content: 'joke' }] });
    const types: string[] = [];
    stream.on('streamEvent', (e) => types.push(e.type));
    const final = await stream.finalMessage();
    assert.deepEqual(final.content, [{ type: 'text', text: 'Why did the chicken cross the road?\n\nTo get to the other side. 🐔' }]);
    assert.equal(final.stop_reason, 'end_turn');
    assert.equal(final.usage.output_tokens, 18);
    assert.deepEqual([types[0], types[1], types.at(-2), types.at(-1)], ['message_start', 'content_block_start', 'message_delta', 'message_stop']);
  });

  test('errors arrive as the SDK\'s typed errors', async () => {
    up.handle(() => ({ status: 429, body: fixture('gemini/error-429-quota.json') }));
    await assert.rejects(client.messages.create({ model: 'g', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }), (e: unknown) => {
      assert.ok(e instanceof Anthropic.RateLimitError);
      return true;
    });
    await assert.rejects(client.messages.create({ model: 'g', messages: [{ role: 'user', content: 'x' }] } as unknown as Anthropic.MessageCreateParamsNonStreaming), (e: unknown) => {
      assert.ok(e instanceof Anthropic.BadRequestError);
      assert.match(String((e as InstanceType<typeof Anthropic.BadRequestError>).message), /max_tokens/);
      return true;
    });
  });
});

describe('Anthropic SDK → /v1/messages → Anthropic and Bedrock (streamed tool use)', () => {
  test('Anthropic upstream: streamed tool_use survives OpenAI canonical form and back', async () => {
    const up = await startFakeUpstream(() => ({ body: chop(fixture('anthropic/stream-tool-use.sse'), 45) }));
    const gw = await startMiniGateway(anthropicAdapter, testDeployment({ provider: 'anthropic', apiBase: `${up.url}/v1`, upstreamModel: 'claude-sonnet-4-5-20250929' }));
    try {
      const client = new Anthropic({ apiKey: 'x', baseURL: gw.url, maxRetries: 0 });
      const final = await client.messages.stream({ model: 'claude', max_tokens: 300, tools: [weather], messages: [{ role: 'user', content: 'Weather?' }] }).finalMessage();
      const sent = up.received.at(-1)!.json();
      assert.equal(sent.max_tokens, 300);
      assert.deepEqual(sent.tools, [{ name: 'get_weather', description: 'Weather for a city', input_schema: weather.input_schema }]);
      assert.equal(final.stop_reason, 'tool_use');
      assert.deepEqual(final.content[0], { type: 'text', text: 'Let me look up the weather.' });
      const use = final.content[1] as Anthropic.ToolUseBlock;
      assert.equal(use.id, 'toolu_01T1x1fJ34qAmk2tNTrN7Up6');
      assert.deepEqual(use.input, { location: 'San Francisco, CA', unit: 'celsius' });
      assert.equal(final.usage.input_tokens, 472);
      assert.equal(final.usage.output_tokens, 89);
    } finally {
      await gw.close();
      await up.close();
    }
  });

  test('Bedrock upstream: ConverseStream tool use reaches the SDK as tool_use', async () => {
    const events = fixtureJson<Array<{ messageType: 'event' | 'exception'; type: string; payload: unknown }>>('bedrock/converse-stream-tool-use.events.json');
    const bytes = Buffer.concat(events.map((e) => encodeEvent(e.messageType, e.type, e.payload)));
    const up = await startFakeUpstream(() => ({ body: chop(bytes, 100) }));
    const gw = await startMiniGateway(
      bedrockAdapter,
      testDeployment({ provider: 'bedrock', apiBase: up.url, upstreamModel: 'amazon.nova-pro-v1:0', options: { aws_region: 'us-east-1', aws_access_key_id: 'AKID', aws_secret_access_key: 'S' } }),
    );
    try {
      const client = new Anthropic({ apiKey: 'x', baseURL: gw.url, maxRetries: 0 });
      const final = await client.messages.stream({ model: 'nova', max_tokens: 300, tools: [weather], messages: [{ role: 'user', content: 'Weather?' }] }).finalMessage();
      const use = final.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
      assert.deepEqual(use.input, { location: 'Seattle, WA' });
      assert.equal(final.stop_reason, 'tool_use');
      assert.equal(final.usage.output_tokens, 61);
    } finally {
      await gw.close();
      await up.close();
    }
  });
});
