/**
 * `/v1/messages` through a real gateway process (mock upstream behind it) with `@anthropic-ai/sdk`: streams
 * report the real input_tokens in message_start, `count_tokens` exists, and every error on these paths has
 * Anthropic's shape (including a missing key, which names x-api-key).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { startMockUpstream, type MockUpstream } from '../../loadtest/mock/server.js';
import { mockConfig, startGatewayProcess, type GatewayProcess } from '../../test-support/gateway.js';

let mock: MockUpstream;
let gw: GatewayProcess;
let client: Anthropic;

before(async () => {
  mock = await startMockUpstream({ port: 0 });
  gw = await startGatewayProcess({ config: mockConfig(mock.url) });
  client = new Anthropic({ apiKey: gw.masterKey, baseURL: gw.url, maxRetries: 0 });
});
after(async () => {
  await gw?.stop();
  await mock?.close();
});

const weather: Anthropic.Tool = { name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } } } };
const request = {
  model: 'mock-1',
  system: 'You are a terse assistant.',
  tools: [weather],
  messages: [{ role: 'user' as const, content: 'Write two sentences about the sea and the harbour at dawn.' }],
};

async function anthropicError(res: Response, status: number, type: string): Promise<string> {
  assert.equal(res.status, status);
  const body = (await res.json()) as { type: string; error: { type: string; message: string } };
  assert.equal(body.type, 'error');
  assert.equal(body.error.type, type);
  assert.deepEqual(Object.keys(body.error).sort(), ['message', 'type']);
  return body.error.message;
}

describe('Anthropic ingress through the gateway', () => {
  it('count_tokens answers {input_tokens}, growing with the prompt', async () => {
    const small = await client.messages.countTokens(request);
    assert.ok(small.input_tokens > 10);
    const bigger = await client.messages.countTokens({ ...request, messages: [{ role: 'user', content: request.messages[0]!.content.repeat(10) }] });
    assert.ok(bigger.input_tokens > small.input_tokens + 50);
    assert.equal(mock.stats().requests['/v1/chat/completions'] ?? 0, 0);
  });

  it('a stream reports the counted input_tokens in message_start', async () => {
    const expected = (await client.messages.countTokens(request)).input_tokens;
    const stream = client.messages.stream({ ...request, max_tokens: 50 });
    let startTokens: number | undefined;
    stream.on('streamEvent', (e) => {
      if (e.type === 'message_start') startTokens = e.message.usage.input_tokens;
    });
    const final = await stream.finalMessage();
    assert.equal(startTokens, expected);
    assert.ok(final.content.length > 0);
  });

  it('validation errors use Anthropic\'s shape and rules', async () => {
    const post = (body: unknown, headers: Record<string, string> = { 'x-api-key': gw.masterKey }) =>
      fetch(gw.url + '/v1/messages', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    assert.match(await anthropicError(await post({ model: 'mock-1', messages: [{ role: 'user', content: 'x' }] }), 400, 'invalid_request_error'), /max_tokens/);
    assert.match(await anthropicError(await post({ ...request, max_tokens: 5, temperature: 1.5 }), 400, 'invalid_request_error'), /^Invalid 'temperature'|temperature/);
    assert.match(await anthropicError(await post({ ...request, max_tokens: 5, messages: [{ role: 'system', content: 'x' }] }), 400, 'invalid_request_error'), /messages\[0\]\.role/);
    await assert.rejects(client.messages.create({ ...request, max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'tool_result' } as unknown as Anthropic.TextBlockParam] }] }), Anthropic.BadRequestError);
  });

  it('auth, unknown paths, wrong methods and unknown models answer in Anthropic\'s shape', async () => {
    const noKey = await fetch(gw.url + '/v1/messages', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...request, max_tokens: 5 }) });
    assert.match(await anthropicError(noKey, 401, 'authentication_error'), /x-api-key/);
    const badKey = new Anthropic({ apiKey: 'sk-wrong', baseURL: gw.url, maxRetries: 0 });
    await assert.rejects(badKey.messages.create({ ...request, max_tokens: 5 }), Anthropic.AuthenticationError);
    await assert.rejects(badKey.messages.countTokens(request), Anthropic.AuthenticationError);
    await anthropicError(await fetch(gw.url + '/v1/messages/batches', { headers: { 'x-api-key': gw.masterKey } }), 404, 'not_found_error');
    await anthropicError(await fetch(gw.url + '/v1/messages', { headers: { 'x-api-key': gw.masterKey } }), 405, 'invalid_request_error');
    await assert.rejects(client.messages.create({ ...request, model: 'nope', max_tokens: 5 }), Anthropic.NotFoundError);
    await assert.rejects(client.messages.countTokens({ ...request, model: 'nope' }), Anthropic.NotFoundError);
  });
});
