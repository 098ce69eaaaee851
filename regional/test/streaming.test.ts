/**
 * Streams end to end: a client that goes away aborts the upstream request; SIGTERM lets a running stream
 * finish before the process exits 0; a silent upstream still gets keep-alive comments to the client.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startMockUpstream, type MockUpstream } from '../../loadtest/mock/server.js';
import { mockConfig, startGatewayProcess, type GatewayProcess } from '../../test-support/gateway.js';

let mock: MockUpstream;
before(async () => {
  mock = await startMockUpstream({ port: 0 });
});
after(async () => {
  await mock?.close();
});

function streamBody(extra: Record<string, unknown>): string {
  return JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: 'tell me a story' }], stream: true, ...extra });
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('streaming', () => {
  let gw: GatewayProcess;
  before(async () => {
    gw = await startGatewayProcess({ config: mockConfig(mock.url), env: { SKYWAY_HEARTBEAT_MS: '200' } });
  });
  after(async () => gw?.stop());

  it('aborts the upstream request when the client disconnects mid-stream', async () => {
    mock.reset();
    const controller = new AbortController();
    const res = await fetch(gw.url + '/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.masterKey}` },
      body: streamBody({ mock: { chunks: 500, chunk_delay_ms: 20 } }),
      signal: controller.signal,
    });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.match(Buffer.from(first.value!).toString(), /^data: /);
    controller.abort();
    await until(() => mock.stats().aborted === 1, 5000, 'the mock to see the upstream request aborted');
    assert.equal(mock.stats().completed, 0);
    // and the gateway keeps serving
    const ok = await fetch(gw.url + '/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.masterKey}` },
      body: JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: 'x' }] }),
    });
    assert.equal(ok.status, 200);
  });

  it('sends SSE keep-alive comments while the upstream is silent', async () => {
    const res = await fetch(gw.url + '/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.masterKey}` },
      body: streamBody({ max_tokens: 2, mock: { chunk_delay_ms: 700 } }),
    });
    const text = await res.text();
    assert.match(text, /^: keep-alive$/m);
    assert.match(text, /data: \[DONE\]/);
  });

  it('streams usage when stream_options.include_usage is set', async () => {
    const res = await fetch(gw.url + '/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${gw.masterKey}` },
      body: streamBody({ max_tokens: 3, stream_options: { include_usage: true } }),
    });
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const events = (await res.text()).split('\n\n').filter((e) => e.startsWith('data: ') && !e.includes('[DONE]'));
    const last = JSON.parse(events.at(-1)!.slice(6)) as { choices: unknown[]; usage: { completion_tokens: number } };
    assert.deepEqual(last.choices, []);
    assert.equal(last.usage.completion_tokens, 3);
  });
});

describe('SIGTERM', () => {
  it('lets a running stream complete, refuses new connections, then exits 0', async () => {
    const gw = await startGatewayProcess({ config: mockConfig(mock.url), env: { SKYWAY_DRAIN_TIMEOUT_MS: '10000' } });
    try {
      const res = await fetch(gw.url + '/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: `Bearer ${gw.masterKey}` },
        body: streamBody({ mock: { chunks: 30, chunk_delay_ms: 30 } }),
      });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      // The first chunk is kept: on a loaded machine it can already hold the first token(s).
      let text = Buffer.from((await reader.read()).value ?? new Uint8Array()).toString();
      const exit = gw.signal('SIGTERM');
      await new Promise((r) => setTimeout(r, 100));
      // a new connection is refused while draining
      await assert.rejects(
        new Promise((resolve, reject) => {
          const req = request(gw.url + '/health/liveliness', { agent: false }, resolve);
          req.on('error', reject);
          req.end();
        }),
      );
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString();
      }
      assert.match(text, /data: \[DONE\]/);
      const words = text.split('\n\n').filter((e) => e.includes('"content":"') && !e.includes('"content":""')).length;
      assert.equal(words, 30, 'the whole stream (30 tokens) arrived');
      assert.equal(await exit, 0);
    } finally {
      await gw.stop();
    }
  });
});
