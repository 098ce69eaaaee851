/**
 * The gateway's HTTP contract against the mock upstream: status codes and the OpenAI error shape for every
 * failure a client can cause, and that the gateway keeps serving afterwards.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startMockUpstream, type MockUpstream } from '../../loadtest/mock/server.js';
import { mockConfig, startGatewayProcess, type GatewayProcess } from '../../test-support/gateway.js';

let mock: MockUpstream;
let gw: GatewayProcess;

before(async () => {
  mock = await startMockUpstream({ port: 0 });
  gw = await startGatewayProcess({ config: mockConfig(mock.url) });
});
after(async () => {
  await gw?.stop();
  await mock?.close();
});

function post(path: string, body: string | Uint8Array, key: string | null = gw.masterKey, headers: Record<string, string> = {}) {
  return fetch(gw.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body,
  });
}

async function expectError(res: Response, status: number, code: string): Promise<{ message: string; type: string; code: string; param: string | null }> {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}`);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const body = (await res.json()) as { error: { message: string; type: string; code: string; param: string | null } };
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(body.error.code, code);
  assert.ok(body.error.message.length > 10);
  return body.error;
}

const chat = JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 4 });

async function stillServing(): Promise<void> {
  const res = await post('/v1/chat/completions', chat);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { choices: Array<{ message: { content: string } }> };
  assert.equal(body.choices[0]!.message.content.split(' ').length, 4);
}

describe('API contract', () => {
  it('answers a chat completion with request id, overhead and deployment headers', async () => {
    const res = await post('/v1/chat/completions', chat);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('x-skyway-request-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.ok(Number(res.headers.get('x-skyway-overhead-ms')) >= 0);
    assert.equal(res.headers.get('x-skyway-deployment'), 'mock-1/0');
    const body = (await res.json()) as { usage: { completion_tokens: number } };
    assert.equal(body.usage.completion_tokens, 4);
  });

  it('passes unknown request fields through to the upstream unchanged', async () => {
    mock.reset();
    await post('/v1/chat/completions', JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: 'x' }], custom_field: { a: [1, 2] } }));
    const sent = mock.stats().lastRequest!.body as Record<string, unknown>;
    assert.deepEqual(sent.custom_field, { a: [1, 2] });
  });

  it('rejects a 5 MB body with 413 and keeps serving', async () => {
    const big = new Uint8Array(5 * 1024 * 1024).fill(0x61);
    const res = await post('/v1/chat/completions', big);
    await expectError(res, 413, 'request_too_large');
    await stillServing();
  });

  it('rejects malformed JSON with 400 and keeps serving', async () => {
    const err = await expectError(await post('/v1/chat/completions', '{"model": "mock-1", "messages": ['), 400, 'invalid_json');
    assert.equal(err.type, 'invalid_request_error');
    await stillServing();
  });

  it('names a missing parameter', async () => {
    const err = await expectError(await post('/v1/chat/completions', '{"model":"mock-1"}'), 400, 'missing_required_parameter');
    assert.equal(err.param, 'messages');
  });

  it('rejects a request without a key (401) and with a wrong key (401)', async () => {
    await expectError(await post('/v1/chat/completions', chat, null), 401, 'missing_api_key');
    await expectError(await post('/v1/chat/completions', chat, 'sk-wrong'), 401, 'invalid_api_key');
  });

  it('answers 404 for an unknown model and an unknown path, 405 for a wrong method', async () => {
    const err = await expectError(await post('/v1/chat/completions', JSON.stringify({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })), 404, 'model_not_found');
    assert.equal(err.param, 'model');
    await expectError(await fetch(gw.url + '/v1/nothing-here'), 404, 'unknown_url');
    const res = await fetch(gw.url + '/v1/chat/completions');
    await expectError(res, 405, 'method_not_allowed');
  });

  it('maps upstream failures: 500 → 502, 429 → 429 with retry-after, 400 passed on', async () => {
    const withFault = (status: number) =>
      post('/v1/chat/completions', JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: 'x' }], mock: { status } }));
    const e500 = await expectError(await withFault(500), 502, 'upstream_server_error');
    assert.equal(e500.type, 'upstream_error');
    const r429 = await withFault(429);
    await expectError(r429, 429, 'upstream_rate_limited');
    await expectError(await withFault(400), 400, 'upstream_error');
  });

  it('answers 504 when the upstream does not answer within the deployment timeout', async () => {
    const slow = await startGatewayProcess({
      config: mockConfig(mock.url).replace('api_base: ' + mock.url + '/v1\n', `api_base: ${mock.url}/v1\n        timeout_ms: 300\n`),
    });
    try {
      const res = await fetch(slow.url + '/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: `Bearer ${slow.masterKey}` },
        body: JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: 'x' }], mock: { hang: true } }),
      });
      await expectError(res, 504, 'upstream_timeout');
    } finally {
      await slow.stop();
    }
  });

  it('reports liveliness and readiness', async () => {
    assert.equal((await fetch(gw.url + '/health/liveliness')).status, 200);
    const ready = await fetch(gw.url + '/health/readiness');
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { status: string }).status, 'ok');
  });
});
