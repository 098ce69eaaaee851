/**
 * Streams whose upstream reports no usage (servers that ignore stream_options.include_usage) are still
 * accounted: the gateway counts the prompt and the generated text itself. Checked in the usage pipeline's
 * request log (the embedded NDJSON files under the data dir).
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startMockUpstream, type MockUpstream } from '../../loadtest/mock/server.js';
import { mockConfig, startGatewayProcess, type GatewayProcess } from '../../test-support/gateway.js';

let mock: MockUpstream;
let gw: GatewayProcess;

before(async () => {
  mock = await startMockUpstream({ port: 0 });
  gw = await startGatewayProcess({ config: mockConfig(mock.url, ['mock-1']), env: { SKYWAY_USAGE_FLUSH_MS: '100' } });
});
after(async () => {
  await gw?.stop();
  await mock?.close();
});

interface Row {
  request_id: string;
  prompt_tokens: number;
  completion_tokens: number;
}

async function logRow(requestId: string): Promise<Row> {
  const dir = join(gw.dataDir, 'clickhouse', 'request_log');
  for (let i = 0; i < 100; i++) {
    const days = existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()) : [];
    for (const day of days) {
      for (const f of readdirSync(join(dir, day.name))) {
        for (const line of readFileSync(join(dir, day.name, f), 'utf8').split('\n')) {
          if (line.includes(requestId)) return JSON.parse(line) as Row;
        }
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no request_log row for ${requestId}`);
}

async function stream(mockFaults: Record<string, unknown>): Promise<{ id: string; text: string }> {
  const res = await fetch(gw.url + '/v1/chat/completions', {
    method: 'POST',
    headers: { authorization: `Bearer ${gw.masterKey}` },
    body: JSON.stringify({ model: 'mock-1', messages: [{ role: 'user', content: 'Tell me about the sea and the sky' }], stream: true, max_tokens: 40, mock: mockFaults }),
  });
  assert.equal(res.status, 200);
  const body = await res.text();
  let text = '';
  for (const ev of body.split('\n\n')) {
    if (!ev.startsWith('data: {')) continue;
    const chunk = JSON.parse(ev.slice(6)) as { choices: Array<{ delta: { content?: string } }> };
    text += chunk.choices[0]?.delta.content ?? '';
  }
  return { id: res.headers.get('x-skyway-request-id')!, text };
}

describe('stream usage', () => {
  it('records the usage the upstream reports', async () => {
    const { id } = await stream({ chunks: 12 });
    const row = await logRow(id);
    assert.equal(row.completion_tokens, 12);
    assert.ok(row.prompt_tokens > 0);
  });

  it('counts prompt and completion itself when the upstream reports none', async () => {
    const { id, text } = await stream({ chunks: 12, no_usage: true });
    assert.equal(text.trim().split(/\s+/).length, 12);
    const row = await logRow(id);
    // mock-1 is not an OpenAI model: its family is counted as characters / 4
    assert.equal(row.completion_tokens, Math.ceil(text.length / 4));
    assert.ok(row.prompt_tokens > 0);
  });
});
