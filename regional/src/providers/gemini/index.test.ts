import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import adapter from './index.js';
import { geminiSchema } from './openai-to-gemini-request.js';
import { chop, fixture, startFakeUpstream, type FakeUpstream } from '../../../../test-support/providers-fake-upstream.js';
import { startMiniGateway, testDeployment, type MiniGateway } from '../../../../test-support/providers-mini-gateway.js';

const weatherTool: OpenAI.Chat.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { location: { type: 'string' } }, required: ['location'], additionalProperties: false },
  },
};

describe('gemini adapter (OpenAI SDK → fake Gemini API)', () => {
  let up: FakeUpstream;
  let gw: MiniGateway;
  let client: OpenAI;

  before(async () => {
    up = await startFakeUpstream(() => ({ body: fixture('gemini/generate-text.json') }));
    gw = await startMiniGateway(adapter, testDeployment({ provider: 'gemini', apiBase: up.url, upstreamModel: 'gemini-2.5-flash', apiKey: 'AIza-test' }));
    client = new OpenAI({ apiKey: 'sk-client', baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    await gw.close();
    await up.close();
  });

  test('generateContent: systemInstruction, roles, generationConfig; thinking tokens count as completion', async () => {
    up.handle(() => ({ body: fixture('gemini/generate-text.json') }));
    const res = await client.chat.completions.create({
      model: 'gemini',
      messages: [
        { role: 'system', content: 'Be kind.' },
        { role: 'user', content: [{ type: 'text', text: 'Hi' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: 'Again' },
      ],
      max_completion_tokens: 256,
      temperature: 0.5,
      stop: ['\n\n'],
      response_format: { type: 'json_object' },
    });
    const r = up.received.at(-1)!;
    assert.equal(r.path, '/v1beta/models/gemini-2.5-flash:generateContent');
    assert.equal(r.headers['x-goog-api-key'], 'AIza-test');
    assert.deepEqual(r.json(), {
      contents: [
        { role: 'user', parts: [{ text: 'Hi' }, { inlineData: { mimeType: 'image/png', data: 'AAAA' } }] },
        { role: 'model', parts: [{ text: 'Hello.' }] },
        { role: 'user', parts: [{ text: 'Again' }] },
      ],
      systemInstruction: { parts: [{ text: 'Be kind.' }] },
      generationConfig: { maxOutputTokens: 256, temperature: 0.5, stopSequences: ['\n\n'], responseMimeType: 'application/json' },
    });
    assert.equal(res.choices[0]!.message.content, 'Hello there! How can I help you today?');
    assert.deepEqual(res.usage, { prompt_tokens: 8, completion_tokens: 38, total_tokens: 46, completion_tokens_details: { reasoning_tokens: 28 } });
  });

  test('tool call round trip: functionDeclarations → functionCall → tool result → functionResponse', async () => {
    up.handle(() => ({ body: fixture('gemini/generate-function-call.json') }));
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Tokyo?' }];
    const first = await client.chat.completions.create({ model: 'gemini', messages, tools: [weatherTool], tool_choice: 'auto' });
    const sent1 = up.received.at(-1)!.json();
    assert.deepEqual(sent1.tools, [
      { functionDeclarations: [{ name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } }] },
    ]);
    assert.deepEqual(sent1.toolConfig, { functionCallingConfig: { mode: 'AUTO' } });
    const msg = first.choices[0]!.message;
    assert.equal(first.choices[0]!.finish_reason, 'tool_calls');
    const call = msg.tool_calls![0]!;
    assert.ok(call.type === 'function');
    assert.match(call.id, /^call_/);
    assert.deepEqual(JSON.parse(call.function.arguments), { location: 'Tokyo' });

    up.handle(() => ({ body: fixture('gemini/generate-after-tool.json') }));
    messages.push(msg, { role: 'tool', tool_call_id: call.id, content: '{"temp_c":22,"sky":"sunny"}' });
    const second = await client.chat.completions.create({ model: 'gemini', messages, tools: [weatherTool] });
    assert.deepEqual(up.received.at(-1)!.json().contents, [
      { role: 'user', parts: [{ text: 'Weather in Tokyo?' }] },
      { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { location: 'Tokyo' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temp_c: 22, sky: 'sunny' } } }] },
    ]);
    assert.equal(second.choices[0]!.message.content, "It's 22°C and sunny in Tokyo.");
  });

  test('streamGenerateContent?alt=sse (CRLF framing, split chunks) → text chunks and usage', async () => {
    up.handle(() => ({ headers: { 'content-type': 'text/event-stream' }, body: chop(fixture('gemini/stream-text.sse'), 31) }));
    const stream = await client.chat.completions.create({ model: 'gemini', messages: [{ role: 'user', content: 'joke' }], stream: true });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
      if (c.usage) usage = c.usage;
    }
    assert.equal(up.received.at(-1)!.path, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    assert.equal(text, 'Why did the chicken cross the road?\n\nTo get to the other side. 🐔');
    assert.equal(finish, 'stop');
    assert.deepEqual(usage, { prompt_tokens: 6, completion_tokens: 18, total_tokens: 24 });
  });

  test('streamed function call', async () => {
    up.handle(() => ({ body: fixture('gemini/stream-function-call.sse') }));
    const stream = await client.chat.completions.create({ model: 'gemini', messages: [{ role: 'user', content: 'w' }], tools: [weatherTool], stream: true });
    let args = '';
    let name = '';
    let finish: string | null = null;
    for await (const c of stream) {
      for (const tc of c.choices[0]?.delta.tool_calls ?? []) {
        name ||= tc.function?.name ?? '';
        args += tc.function?.arguments ?? '';
      }
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(name, 'get_weather');
    assert.deepEqual(JSON.parse(args), { location: 'Tokyo' });
    assert.equal(finish, 'tool_calls');
  });

  const errorCases: Array<[string, number, number, string]> = [
    ['error-400-api-key.json', 400, 502, 'upstream_authentication_failed'],
    ['error-429-quota.json', 429, 429, 'upstream_rate_limited'],
    ['error-400-token-limit.json', 400, 400, 'context_length_exceeded'],
    ['error-503-overloaded.json', 503, 502, 'upstream_server_error'],
    ['blocked-prompt.json', 200, 400, 'content_policy_violation'],
  ];
  for (const [file, upstreamStatus, status, code] of errorCases) {
    test(`maps ${file}`, async () => {
      up.handle(() => ({ status: upstreamStatus, body: fixture(`gemini/${file}`) }));
      const err = await client.chat.completions.create({ model: 'gemini', messages: [{ role: 'user', content: 'x' }] }).then(
        () => assert.fail('expected an error'),
        (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
      );
      assert.equal(err.status, status);
      assert.equal(err.code, code);
    });
  }
});

test('geminiSchema keeps property names that look like unsupported keywords', () => {
  assert.deepEqual(geminiSchema({ type: 'object', additionalProperties: false, properties: { default: { type: 'string', default: 'x' } } }), {
    type: 'object',
    properties: { default: { type: 'string' } },
  });
});
