import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import adapter from './index.js';
import { clearEntraTokens } from './entra-token.js';
import { chop, fixture, fixtureJson, startFakeUpstream, type FakeUpstream } from '../../../../test-support/providers-fake-upstream.js';
import { startMiniGateway, testDeployment, type MiniGateway } from '../../../../test-support/providers-mini-gateway.js';

describe('azure adapter (OpenAI SDK → fake Azure OpenAI)', () => {
  let up: FakeUpstream;
  let gw: MiniGateway;
  let client: OpenAI;

  before(async () => {
    up = await startFakeUpstream(() => ({ body: fixture('azure/chat-text.json') }));
    gw = await startMiniGateway(adapter, testDeployment({ provider: 'azure', apiBase: up.url, upstreamModel: 'gpt-4o-prod', apiKey: 'azure-key', options: { api_version: '2024-10-21' } }));
    client = new OpenAI({ apiKey: 'sk-client', baseURL: `${gw.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    await gw.close();
    await up.close();
  });

  test('deployment URL, api-version and api-key; the body passes through unchanged', async () => {
    up.handle(() => ({ body: fixture('azure/chat-text.json') }));
    const res = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello' }] });
    const r = up.received.at(-1)!;
    assert.equal(r.path, '/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21');
    assert.equal(r.headers['api-key'], 'azure-key');
    assert.equal(r.headers.authorization, undefined);
    assert.deepEqual(r.json(), { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello' }] });
    assert.equal(res.choices[0]!.message.content, 'Hello! How can I assist you today?');
    assert.deepEqual(gw.usages.at(-1), { promptTokens: 19, completionTokens: 9, totalTokens: 28, cachedPromptTokens: 0 });
  });

  test('tool calls pass through', async () => {
    up.handle(() => ({ body: fixture('azure/chat-tool-call.json') }));
    const res = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } }],
    });
    const call = res.choices[0]!.message.tool_calls![0]!;
    assert.ok(call.type === 'function');
    assert.deepEqual(JSON.parse(call.function.arguments), { location: 'Paris' });
    assert.equal((up.received.at(-1)!.json().tools as unknown[]).length, 1);
  });

  test('streams pass through (prompt_filter_results chunk included) with usage requested and read', async () => {
    up.handle(() => ({ headers: { 'content-type': 'text/event-stream' }, body: chop(fixture('azure/chat-stream.sse'), 41) }));
    const stream = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Salut' }], stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    assert.deepEqual(up.received.at(-1)!.json().stream_options, { include_usage: true });
    assert.equal(text, 'Bonjour à tous!');
    assert.deepEqual(gw.usages.at(-1), { promptTokens: 11, completionTokens: 5, totalTokens: 16, cachedPromptTokens: 0 });
  });

  const errorCases: Array<[string, number, Record<string, string>, number, string]> = [
    ['error-400-content-filter.json', 400, {}, 400, 'content_filter'],
    ['error-400-context-length.json', 400, {}, 400, 'context_length_exceeded'],
    ['error-429-rate-limit.json', 429, { 'retry-after-ms': '5500' }, 429, 'upstream_rate_limited'],
    ['error-401.json', 401, {}, 502, 'upstream_authentication_failed'],
  ];
  for (const [file, upstreamStatus, headers, status, code] of errorCases) {
    test(`maps ${file}`, async () => {
      up.handle(() => ({ status: upstreamStatus, headers, body: fixture(`azure/${file}`) }));
      const err = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }).then(
        () => assert.fail('expected an error'),
        (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
      );
      assert.equal(err.status, status);
      assert.equal(err.code, code);
      if (headers['retry-after-ms']) assert.equal(err.headers?.get('retry-after'), '6');
    });
  }
});

describe('azure auth and URLs', () => {
  const ctx = { requestId: 'r', operation: 'chat' as const, stream: false, model: 'm' };
  const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };
  const raw = Buffer.from(JSON.stringify(body));

  test('Entra client credentials: one token request, cached, sent as a bearer token', async () => {
    clearEntraTokens();
    const idp = await startFakeUpstream(() => ({ body: fixture('azure/entra-token.json') }));
    try {
      const d = testDeployment({
        provider: 'azure',
        apiBase: 'https://myres.openai.azure.com',
        upstreamModel: 'gpt-4o-prod',
        apiKey: 'client-secret',
        options: { auth: 'entra', tenant_id: 'tenant-1', client_id: 'app-1', authority_host: idp.url },
      });
      const [a, b] = await Promise.all([adapter.buildRequest(ctx, body, raw, d), adapter.buildRequest(ctx, body, raw, d)]);
      const token = fixtureJson<{ access_token: string }>('azure/entra-token.json').access_token;
      assert.equal(a.headers.authorization, `Bearer ${token}`);
      assert.equal(b.headers.authorization, `Bearer ${token}`);
      assert.equal(a.headers['api-key'], undefined);
      assert.equal(idp.received.length, 1);
      const form = new URLSearchParams(idp.received[0]!.body.toString());
      assert.equal(idp.received[0]!.path, '/tenant-1/oauth2/v2.0/token');
      assert.equal(form.get('grant_type'), 'client_credentials');
      assert.equal(form.get('client_secret'), 'client-secret');
      assert.equal(form.get('scope'), 'https://cognitiveservices.azure.com/.default');
      await adapter.buildRequest(ctx, body, raw, d);
      assert.equal(idp.received.length, 1, 'token reused');
    } finally {
      await idp.close();
    }
  });

  test('v1 API and embeddings paths; options are validated', async () => {
    const d = testDeployment({ provider: 'azure', apiBase: 'https://myres.openai.azure.com', upstreamModel: 'emb-prod', options: { api_version: 'v1' } });
    const r = await adapter.buildRequest({ ...ctx, operation: 'embeddings' }, { model: 'e', input: 'x' }, Buffer.from('{}'), d);
    assert.equal(r.path, '/openai/v1/embeddings');
    assert.equal(JSON.parse(String(r.body)).model, 'emb-prod');
    assert.throws(() => adapter.validateDeployment(testDeployment({ provider: 'azure', apiBase: 'https://x', upstreamModel: 'm', options: { api_version: 'latest' } })), /api_version/);
    assert.throws(() => adapter.validateDeployment(testDeployment({ provider: 'azure', apiBase: 'https://x', upstreamModel: 'm', options: { auth: 'entra' } })), /tenant_id/);
  });
});
