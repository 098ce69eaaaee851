/** The exact-match response cache: hits are served without the upstream, say so, and can be bypassed. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startMockUpstream, type MockUpstream } from '../../loadtest/mock/server.js';
import { mockConfig, startGatewayProcess, type GatewayProcess } from '../../test-support/gateway.js';

let mock: MockUpstream;
let gw: GatewayProcess;

before(async () => {
  mock = await startMockUpstream({ port: 0 });
  const config = mockConfig(mock.url, ['mock-1']).replace('  - name: mock-1\n', '  - name: mock-1\n    cache: { ttl_seconds: 60 }\n');
  gw = await startGatewayProcess({ config });
});
after(async () => {
  await gw?.stop();
  await mock?.close();
});

function ask(body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return fetch(gw.url + '/v1/chat/completions', {
    method: 'POST',
    headers: { authorization: `Bearer ${gw.masterKey}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'mock-1', ...body }),
  });
}

describe('response cache', () => {
  it('serves a repeated JSON request from the cache without calling the upstream', async () => {
    mock.reset();
    const body = { messages: [{ role: 'user', content: 'cache me' }], max_tokens: 5 };
    const first = await ask(body);
    assert.equal(first.headers.get('x-skyway-cache'), 'miss');
    const a = await first.text();
    const second = await ask(body);
    assert.equal(second.headers.get('x-skyway-cache'), 'hit');
    assert.equal(await second.text(), a);
    assert.equal(mock.stats().requests['/v1/chat/completions'], 1);
    // the key is the normalised request: field order does not matter, content does
    const reordered = await ask({ max_tokens: 5, messages: [{ content: 'cache me', role: 'user' }] });
    assert.equal(reordered.headers.get('x-skyway-cache'), 'hit');
    const other = await ask({ messages: [{ role: 'user', content: 'something else' }], max_tokens: 5 });
    assert.equal(other.headers.get('x-skyway-cache'), 'miss');
    assert.equal(mock.stats().requests['/v1/chat/completions'], 2);
  });

  it('honours cache-control: no-cache (bypass the lookup) and no-store', async () => {
    mock.reset();
    const body = { messages: [{ role: 'user', content: 'bypass me' }], max_tokens: 3 };
    await ask(body);
    const bypass = await ask(body, { 'cache-control': 'no-cache' });
    assert.equal(bypass.headers.get('x-skyway-cache'), 'bypass');
    assert.equal(mock.stats().requests['/v1/chat/completions'], 2);
    const noStore = { messages: [{ role: 'user', content: 'never stored' }], max_tokens: 3 };
    await ask(noStore, { 'cache-control': 'no-store' });
    const again = await ask(noStore);
    assert.equal(again.headers.get('x-skyway-cache'), 'miss');
  });

  it('replays a cached stream, with or without the usage chunk as the client asks', async () => {
    mock.reset();
    const body = { messages: [{ role: 'user', content: 'stream me' }], max_tokens: 4, stream: true };
    const live = await (await ask(body)).text();
    const hit = await ask({ ...body, stream_options: { include_usage: true } });
    assert.equal(hit.headers.get('x-skyway-cache'), 'hit');
    const replay = await hit.text();
    assert.equal(mock.stats().requests['/v1/chat/completions'], 1);
    assert.doesNotMatch(live, /"usage":\{/, 'the live stream had no usage chunk: the client did not ask');
    assert.match(replay, /"choices":\[\],"usage":\{"prompt_tokens"/);
    const strip = (t: string) => t.split('\n\n').filter((e) => !e.includes('"usage":{')).join('\n\n');
    assert.equal(strip(replay), strip(live));
  });
});
