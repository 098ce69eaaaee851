import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import adapter from './index.js';
import { chop, fixture, startFakeUpstream, type FakeUpstream } from '../../../../test-support/providers-fake-upstream.js';
import { startMiniGateway, testDeployment, type MiniGateway } from '../../../../test-support/providers-mini-gateway.js';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const weatherTool: OpenAI.Chat.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { location: { type: 'string' }, unit: { type: 'string' } }, required: ['location'] },
  },
};

describe('anthropic adapter (OpenAI SDK → fake Anthropic upstream)', () => {
  let up: FakeUpstream;
  let gw: MiniGateway;
  let client: OpenAI;

  before(async () => {
    up = await startFakeUpstream(() => ({ body: fixture('anthropic/messages-text.json') }));
    gw = await startMiniGateway(adapter, testDeployment({ provider: 'anthropic', apiBase: `${up.url}/v1`, upstreamModel: 'claude-sonnet-4-5-20250929', options: { default_max_tokens: 1000 } }));
    client = new OpenAI({ apiKey: 'sk-client', baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    await gw.close();
    await up.close();
  });

  test('translates system, developer, multi-part content, stop and the max_tokens default', async () => {
    up.handle(() => ({ body: fixture('anthropic/messages-text.json') }));
    const res = await client.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: 'Answer in English.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these images?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
      stop: 'END',
      temperature: 1.6,
    });
    const sent = up.received.at(-1)!;
    assert.equal(sent.path, '/v1/messages');
    assert.equal(sent.headers['x-api-key'], 'test-key');
    assert.equal(sent.headers['anthropic-version'], '2023-06-01');
    const body = sent.json();
    assert.equal(body.model, 'claude-sonnet-4-5-20250929');
    assert.equal(body.system, 'Be brief.\n\nAnswer in English.');
    assert.equal(body.max_tokens, 1000);
    assert.deepEqual(body.stop_sequences, ['END']);
    assert.equal(body.temperature, 1);
    assert.deepEqual(body.messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in these images?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
        ],
      },
    ]);
    assert.equal(res.choices[0]!.message.content, 'Hello! How can I help you today?');
    assert.equal(res.choices[0]!.finish_reason, 'stop');
    assert.deepEqual(res.usage, { prompt_tokens: 12, completion_tokens: 12, total_tokens: 24 });
  });

  test('tool call round trip: tools → tool_use → tool result → tool_result', async () => {
    up.handle(() => ({ body: fixture('anthropic/messages-tool-use.json') }));
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in SF?' }];
    const first = await client.chat.completions.create({ model: 'claude', messages, tools: [weatherTool], tool_choice: 'required', max_tokens: 200 });
    const sent1 = up.received.at(-1)!.json();
    assert.deepEqual(sent1.tools, [{ name: 'get_weather', description: 'Current weather for a city', input_schema: weatherTool.function.parameters }]);
    assert.deepEqual(sent1.tool_choice, { type: 'any' });
    assert.equal(sent1.max_tokens, 200);
    const msg = first.choices[0]!.message;
    assert.equal(first.choices[0]!.finish_reason, 'tool_calls');
    assert.equal(msg.content, "I'll check the current weather in San Francisco for you.");
    const call = msg.tool_calls![0]!;
    assert.equal(call.id, 'toolu_01A09q90qw90lq917835lq9');
    assert.ok(call.type === 'function');
    assert.equal(call.function.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.function.arguments), { location: 'San Francisco, CA', unit: 'celsius' });
    // Anthropic reports cache reads apart from input_tokens; OpenAI counts them inside prompt_tokens.
    assert.deepEqual(first.usage, { prompt_tokens: 512, completion_tokens: 74, total_tokens: 586, prompt_tokens_details: { cached_tokens: 128 } });

    up.handle(() => ({ body: fixture('anthropic/messages-after-tool.json') }));
    messages.push(msg, { role: 'tool', tool_call_id: call.id, content: '15°C, fog' });
    const second = await client.chat.completions.create({ model: 'claude', messages, tools: [weatherTool] });
    const sent2 = up.received.at(-1)!.json();
    assert.deepEqual(sent2.messages, [
      { role: 'user', content: [{ type: 'text', text: 'Weather in SF?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: "I'll check the current weather in San Francisco for you." },
          { type: 'tool_use', id: call.id, name: 'get_weather', input: { location: 'San Francisco, CA', unit: 'celsius' } },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '15°C, fog' }] },
    ]);
    assert.equal(second.choices[0]!.message.content, 'It is currently 15°C and foggy in San Francisco.');
  });

  test('streams text (split at arbitrary bytes) with usage at the end', async () => {
    up.handle(() => ({ headers: { 'content-type': 'text/event-stream' }, body: chop(fixture('anthropic/stream-text.sse'), 23) }));
    const stream = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(up.received.at(-1)!.json().stream, true);
    assert.equal(text, 'Hello, wörld! ☀️');
    assert.equal(finish, 'stop');
    assert.deepEqual(usage, { prompt_tokens: 25, completion_tokens: 15, total_tokens: 40 });
    assert.deepEqual(gw.usages.at(-1), { promptTokens: 25, completionTokens: 15, totalTokens: 40 });
  });

  test('streams tool-call argument deltas', async () => {
    up.handle(() => ({ headers: { 'content-type': 'text/event-stream' }, body: chop(fixture('anthropic/stream-tool-use.sse'), 50) }));
    const stream = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'Weather?' }], tools: [weatherTool], stream: true });
    let text = '';
    let args = '';
    let id = '';
    let name = '';
    let argDeltas = 0;
    let finish: string | null = null;
    for await (const chunk of stream) {
      const d = chunk.choices[0]?.delta;
      text += d?.content ?? '';
      for (const tc of d?.tool_calls ?? []) {
        assert.equal(tc.index, 0);
        if (tc.id) id = tc.id;
        if (tc.function?.name) name = tc.function.name;
        if (tc.function?.arguments) {
          args += tc.function.arguments;
          argDeltas++;
        }
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(text, 'Let me look up the weather.');
    assert.equal(id, 'toolu_01T1x1fJ34qAmk2tNTrN7Up6');
    assert.equal(name, 'get_weather');
    assert.ok(argDeltas >= 3, 'arguments arrive as deltas');
    assert.deepEqual(JSON.parse(args), { location: 'San Francisco, CA', unit: 'celsius' });
    assert.equal(finish, 'tool_calls');
  });

  test('an error event inside the stream reaches the client as a stream error', async () => {
    up.handle(() => ({ headers: { 'content-type': 'text/event-stream' }, body: fixture('anthropic/stream-overloaded.sse') }));
    const stream = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    await assert.rejects(async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    }, /Overloaded/);
    assert.equal(text, 'Partial');
  });

  const errorCases: Array<[string, number, Record<string, string>, number, string]> = [
    ['error-529-overloaded.json', 529, {}, 502, 'upstream_server_error'],
    ['error-400-prompt-too-long.json', 400, {}, 400, 'context_length_exceeded'],
    ['error-429-rate-limit.json', 429, { 'retry-after': '7' }, 429, 'upstream_rate_limited'],
    ['error-401-auth.json', 401, {}, 502, 'upstream_authentication_failed'],
  ];
  for (const [file, upstreamStatus, headers, status, code] of errorCases) {
    test(`maps ${file} to a catalogue error`, async () => {
      up.handle(() => ({ status: upstreamStatus, headers, body: fixture(`anthropic/${file}`) }));
      const err = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] }).then(
        () => assert.fail('expected an error'),
        (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
      );
      assert.ok(err instanceof OpenAI.APIError);
      assert.equal(err.status, status);
      assert.equal(err.code, code);
      if (headers['retry-after']) assert.equal(err.headers?.get('retry-after'), '7');
    });
  }
});
