/**
 * The official `openai` npm client, unmodified, against the local stack: local edge → gateway → mock.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startLocalEdge, type LocalEdge } from '../../edge/local/server.js';
import { createEdgePublisher } from '../../edge/publisher/index.js';
import { startMockUpstream, type MockUpstream } from '../../loadtest/mock/server.js';
import { freePort } from '../../test-support/free-port.js';
import { mockConfig, startGatewayProcess, type GatewayProcess } from '../../test-support/gateway.js';

let mock: MockUpstream;
let gw: GatewayProcess;
let edge: LocalEdge;
let client: OpenAI;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skyway-edge-'));
  mock = await startMockUpstream({ port: 0 });
  gw = await startGatewayProcess({ config: mockConfig(mock.url) });
  // The edge lets the master key through only when its digest is published (as the admin role does).
  const publisher = createEdgePublisher({ localFile: join(dir, 'kvs.json') });
  await publisher.setMasterKey(gw.masterKey);
  await publisher.flush();
  edge = await startLocalEdge({ host: '127.0.0.1', port: await freePort(), originUrl: gw.url, kvsFile: join(dir, 'kvs.json') });
  client = new OpenAI({ apiKey: gw.masterKey, baseURL: `http://127.0.0.1:${edge.port}/v1`, maxRetries: 0 });
});
after(async () => {
  await edge?.close();
  await gw?.stop();
  await mock?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('openai client through the local edge', () => {
  it('chat completion', async () => {
    const r = await client.chat.completions.create({ model: 'mock-1', messages: [{ role: 'user', content: 'Say something' }], max_tokens: 6 });
    assert.equal(r.object, 'chat.completion');
    assert.equal(r.choices[0]!.message.content!.split(' ').length, 6);
    assert.equal(r.usage!.completion_tokens, 6);
  });

  it('streaming chat completion with usage', async () => {
    const stream = await client.chat.completions.create({
      model: 'mock-1',
      messages: [{ role: 'user', content: 'Stream please' }],
      max_tokens: 5,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text.trim().split(' ').length, 5);
    assert.equal(usage?.completion_tokens, 5);
  });

  it('tool calls survive the pass-through', async () => {
    const r = await client.chat.completions.create({
      model: 'mock-1',
      messages: [{ role: 'user', content: 'weather in Paris?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }],
      tool_choice: 'required',
    });
    const call = r.choices[0]!.message.tool_calls![0]!;
    assert.equal(call.type, 'function');
    assert.equal((call as { function: { name: string } }).function.name, 'get_weather');
  });

  it('legacy completions', async () => {
    const r = await client.completions.create({ model: 'mock-1', prompt: 'Once upon a time', max_tokens: 3 });
    assert.equal(r.object, 'text_completion');
    assert.equal(r.usage!.completion_tokens, 3);
  });

  it('embeddings (the client asks for base64 and decodes it)', async () => {
    const r = await client.embeddings.create({ model: 'mock-embed', input: ['a', 'b'], dimensions: 8 });
    assert.equal(r.data.length, 2);
    assert.equal(r.data[0]!.embedding.length, 8);
    assert.ok(r.data[0]!.embedding.every((x) => Number.isFinite(x)));
  });

  it('models list and retrieve', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.deepEqual(ids.sort(), ['mock-1', 'mock-embed']);
    const m = await client.models.retrieve('mock-1');
    assert.equal(m.id, 'mock-1');
  });

  it('errors arrive as the client’s typed errors', async () => {
    await assert.rejects(client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }), (err: unknown) => {
      assert.ok(err instanceof OpenAI.NotFoundError);
      assert.equal((err as InstanceType<typeof OpenAI.NotFoundError>).code, 'model_not_found');
      return true;
    });
    const bad = new OpenAI({ apiKey: 'sk-nope', baseURL: `http://127.0.0.1:${edge.port}/v1`, maxRetries: 0 });
    await assert.rejects(bad.models.list(), OpenAI.AuthenticationError);
  });
});
