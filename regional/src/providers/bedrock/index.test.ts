import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import OpenAI from 'openai';
import adapter from './index.js';
import { encodeEvent } from './event-stream.js';
import { bedrockFamily } from './options.js';
import { openAIToBedrockRequest } from './openai-to-bedrock-request.js';
import { chop, fixture, fixtureJson, startFakeUpstream, type FakeUpstream, type ReceivedRequest } from '../../../../test-support/providers-fake-upstream.js';
import { startMiniGateway, testDeployment, type MiniGateway } from '../../../../test-support/providers-mini-gateway.js';
import type { Deployment } from '../adapter.js';

const MODEL = 'us.anthropic.claude-3-5-sonnet-20241022-v2:0';
const CREDS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

interface RecordedEvent { messageType: 'event' | 'exception'; type: string; payload: unknown }

/** Recorded ConverseStream events → application/vnd.amazon.eventstream bytes. */
function eventStream(name: string): Buffer {
  return Buffer.concat(fixtureJson<RecordedEvent[]>(`bedrock/${name}`).map((e) => encodeEvent(e.messageType, e.type, e.payload)));
}

/** Re-sign what the fake upstream received and compare: proves a valid SigV4 over path, headers and body. */
async function assertSigned(r: ReceivedRequest): Promise<void> {
  const auth = String(r.headers.authorization);
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/bedrock\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(auth);
  assert.ok(m, `authorization header: ${auth}`);
  assert.equal(m[1], CREDS.accessKeyId);
  assert.equal(m[3], 'us-west-2');
  const headers: Record<string, string> = {};
  for (const h of m[4]!.split(';')) headers[h] = String(r.headers[h]);
  const amzDate = String(r.headers['x-amz-date']);
  const date = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  const signer = new SignatureV4({ service: 'bedrock', region: 'us-west-2', credentials: CREDS, sha256: Sha256 });
  const [host, port] = headers.host!.split(':');
  const again = await signer.sign(
    { method: 'POST', protocol: 'http:', hostname: host!, port: Number(port), path: r.path, query: {}, headers, body: r.body.toString('utf8') },
    { signingDate: date },
  );
  assert.equal(again.headers.authorization, auth);
}

const weatherTool: OpenAI.Chat.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } },
};

describe('bedrock adapter (OpenAI SDK → fake bedrock-runtime)', () => {
  let up: FakeUpstream;
  let gw: MiniGateway;
  let client: OpenAI;
  let deployment: Deployment;

  before(async () => {
    up = await startFakeUpstream(() => ({ body: fixture('bedrock/converse-text.json') }));
    deployment = testDeployment({
      provider: 'bedrock',
      apiBase: up.url,
      upstreamModel: MODEL,
      apiKey: undefined,
      options: { aws_region: 'us-west-2', aws_access_key_id: CREDS.accessKeyId, aws_secret_access_key: CREDS.secretAccessKey },
    });
    gw = await startMiniGateway(adapter, deployment);
    client = new OpenAI({ apiKey: 'sk-client', baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    await gw.close();
    await up.close();
  });

  test('Converse: signed request to the encoded model path, text response and usage', async () => {
    up.handle(() => ({ body: fixture('bedrock/converse-text.json') }));
    const res = await client.chat.completions.create({
      model: 'claude-bedrock',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/AA==' } }] },
      ],
      max_tokens: 300,
      stop: ['###'],
      temperature: 0.2,
    });
    const r = up.received.at(-1)!;
    assert.equal(r.path, '/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse');
    await assertSigned(r);
    assert.deepEqual(r.json(), {
      messages: [{ role: 'user', content: [{ text: 'Hi' }, { image: { format: 'jpeg', source: { bytes: '/9j/AA==' } } }] }],
      system: [{ text: 'Be brief.' }],
      inferenceConfig: { maxTokens: 300, temperature: 0.2, stopSequences: ['###'] },
    });
    assert.equal(res.choices[0]!.message.content, 'Hello! How can I help you today?');
    assert.equal(res.choices[0]!.finish_reason, 'stop');
    assert.deepEqual(res.usage, { prompt_tokens: 14, completion_tokens: 12, total_tokens: 26 });
  });

  test('tool call round trip: toolConfig → toolUse → tool result → toolResult', async () => {
    up.handle(() => ({ body: fixture('bedrock/converse-tool-use.json') }));
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Seattle?' }];
    const first = await client.chat.completions.create({ model: 'm', messages, tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'get_weather' } } });
    const sent1 = up.received.at(-1)!.json();
    assert.deepEqual(sent1.toolConfig, {
      tools: [{ toolSpec: { name: 'get_weather', description: 'Weather', inputSchema: { json: weatherTool.function.parameters } } }],
      toolChoice: { tool: { name: 'get_weather' } },
    });
    const msg = first.choices[0]!.message;
    assert.equal(first.choices[0]!.finish_reason, 'tool_calls');
    const call = msg.tool_calls![0]!;
    assert.ok(call.type === 'function');
    assert.equal(call.id, 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q');
    assert.deepEqual(JSON.parse(call.function.arguments), { location: 'Seattle, WA' });

    up.handle(() => ({ body: fixture('bedrock/converse-after-tool.json') }));
    messages.push(msg, { role: 'tool', tool_call_id: call.id, content: '12°C, rain' });
    const second = await client.chat.completions.create({ model: 'm', messages, tools: [weatherTool] });
    assert.deepEqual(up.received.at(-1)!.json().messages, [
      { role: 'user', content: [{ text: 'Weather in Seattle?' }] },
      { role: 'assistant', content: [{ text: "I'll look up the weather in Seattle." }, { toolUse: { toolUseId: call.id, name: 'get_weather', input: { location: 'Seattle, WA' } } }] },
      { role: 'user', content: [{ toolResult: { toolUseId: call.id, content: [{ text: '12°C, rain' }] } }] },
    ]);
    assert.equal(second.choices[0]!.message.content, 'It is 12°C and raining in Seattle.');
  });

  test('ConverseStream: event-stream frames split across chunks → text chunks and usage', async () => {
    up.handle(() => ({ headers: { 'content-type': 'application/vnd.amazon.eventstream' }, body: chop(eventStream('converse-stream-text.events.json'), 29) }));
    const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
      if (c.usage) usage = c.usage;
    }
    const r = up.received.at(-1)!;
    assert.equal(r.path, '/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse-stream');
    await assertSigned(r);
    assert.equal(text, 'Hello from Nova ✓');
    assert.equal(finish, 'stop');
    assert.deepEqual(usage, { prompt_tokens: 9, completion_tokens: 5, total_tokens: 14 });
  });

  test('ConverseStream: tool-use argument deltas', async () => {
    up.handle(() => ({ body: chop(eventStream('converse-stream-tool-use.events.json'), 64) }));
    const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'Weather?' }], tools: [weatherTool], stream: true });
    let args = '';
    let name = '';
    let id = '';
    let finish: string | null = null;
    for await (const c of stream) {
      for (const tc of c.choices[0]?.delta.tool_calls ?? []) {
        id ||= tc.id ?? '';
        name ||= tc.function?.name ?? '';
        args += tc.function?.arguments ?? '';
      }
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(id, 'tooluse_Xv0mb7mtTXOH4ro-9rZ5bA');
    assert.equal(name, 'get_weather');
    assert.deepEqual(JSON.parse(args), { location: 'Seattle, WA' });
    assert.equal(finish, 'tool_calls');
  });

  test('ConverseStream: an exception frame becomes a stream error', async () => {
    up.handle(() => ({ body: eventStream('converse-stream-throttled.events.json') }));
    const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true });
    await assert.rejects(async () => {
      for await (const _ of stream) void _;
    }, /Too many tokens/);
  });

  const errorCases: Array<[string, number, string, number, string]> = [
    ['error-400-input-too-long.json', 400, 'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/', 400, 'context_length_exceeded'],
    ['error-429-throttling.json', 429, 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/', 429, 'upstream_rate_limited'],
    ['error-403-access-denied.json', 403, 'AccessDeniedException:http://internal.amazon.com/coral/com.amazon.bedrock/', 502, 'upstream_authentication_failed'],
    ['error-408-model-timeout.json', 408, 'ModelTimeoutException:http://internal.amazon.com/coral/com.amazon.bedrock/', 502, 'upstream_server_error'],
  ];
  for (const [file, upstreamStatus, errType, status, code] of errorCases) {
    test(`maps ${file} to a catalogue error`, async () => {
      up.handle(() => ({ status: upstreamStatus, headers: { 'x-amzn-errortype': errType }, body: fixture(`bedrock/${file}`) }));
      const err = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).then(
        () => assert.fail('expected an error'),
        (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
      );
      assert.equal(err.status, status);
      assert.equal(err.code, code);
    });
  }
});

describe('bedrock request details', () => {
  const base = { aws_region: 'us-east-1', auth: 'sigv4' as const, baseUrl: 'https://x' } as const;
  test('model families: region prefixes are not vendors', () => {
    assert.equal(bedrockFamily('us.anthropic.claude-3-5-haiku-20241022-v1:0'), 'anthropic');
    assert.equal(bedrockFamily('meta.llama3-1-70b-instruct-v1:0'), 'meta');
    assert.equal(bedrockFamily('us.amazon.nova-pro-v1:0'), 'amazon');
    assert.equal(bedrockFamily('mistral.mistral-large-2407-v1:0'), 'mistral');
  });
  test('Llama gets no toolChoice; old Mistral gets the system prompt in the first turn', () => {
    const body = { model: 'x', messages: [{ role: 'system', content: 'S' }, { role: 'user', content: 'U' }], tools: [weatherTool], tool_choice: 'required' };
    assert.equal(openAIToBedrockRequest(body, 'meta.llama3-1-70b-instruct-v1:0', { ...base, region: 'us-east-1' }).toolConfig?.toolChoice, undefined);
    const mistral = openAIToBedrockRequest(body, 'mistral.mixtral-8x7b-instruct-v0:1', { ...base, region: 'us-east-1' });
    assert.equal(mistral.system, undefined);
    assert.deepEqual(mistral.messages[0]!.content, [{ text: 'S' }, { text: 'U' }]);
    assert.deepEqual(openAIToBedrockRequest(body, 'amazon.nova-lite-v1:0', { ...base, region: 'us-east-1' }).toolConfig?.toolChoice, { any: {} });
  });
  test('options are validated', () => {
    const d = (options: Record<string, unknown>, apiBase = '') => testDeployment({ provider: 'bedrock', apiBase, upstreamModel: MODEL, options });
    assert.throws(() => adapter.validateDeployment(d({})), /aws_region/);
    assert.throws(() => adapter.validateDeployment(d({ aws_region: 'us-east-1', aws_access_key_id: 'A' })), /go together/);
    assert.doesNotThrow(() => adapter.validateDeployment(d({}, 'https://bedrock-runtime.eu-west-1.amazonaws.com')));
  });
  test('credentials come from the provider chain (environment) and api_key auth sends a bearer token', async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'AKIDFROMENV';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    try {
      const ctx = { requestId: 'r', operation: 'chat' as const, stream: false, model: 'm' };
      const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
      const chain = await adapter.buildRequest(ctx, body, Buffer.alloc(0), testDeployment({ provider: 'bedrock', apiBase: '', upstreamModel: MODEL, options: { aws_region: 'eu-central-1' } }));
      assert.equal(chain.origin, 'https://bedrock-runtime.eu-central-1.amazonaws.com');
      assert.match(chain.headers.authorization!, /Credential=AKIDFROMENV\/\d{8}\/eu-central-1\/bedrock\/aws4_request/);
      const keyed = await adapter.buildRequest(ctx, body, Buffer.alloc(0), testDeployment({ provider: 'bedrock', apiBase: '', upstreamModel: MODEL, apiKey: 'ABSK-test', options: { aws_region: 'eu-central-1', auth: 'api_key' } }));
      assert.equal(keyed.headers.authorization, 'Bearer ABSK-test');
    } finally {
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      else process.env.AWS_ACCESS_KEY_ID = saved.id;
      if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    }
  });
});
