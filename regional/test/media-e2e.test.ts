/**
 * Images and moderations with the official `openai` client through the local edge and a gateway process
 * against the mock (OpenAI-compatible deployments): bodies through, answers untouched, token usage of
 * gpt-image models priced from `pricing:`, and a model of another provider refused.
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
const IMAGE_PRICE = { input: 5, output: 40 };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'skyway-media-'));
  mock = await startMockUpstream({ port: 0 });
  const config =
    mockConfig(mock.url, ['mock-1', 'gpt-image-1', 'dall-e-3', 'omni-moderation-latest']) +
    '  - name: claude-x\n    deployments:\n      - provider: anthropic\n        model: claude-sonnet-4-5\n        api_key_env: X_KEY\n' +
    `pricing:\n  gpt-image-1: { input: ${IMAGE_PRICE.input}, output: ${IMAGE_PRICE.output} }\n`;
  gw = await startGatewayProcess({ config, env: { X_KEY: 'x' } });
  const publisher = createEdgePublisher({ localFile: join(dir, 'kvs.json') });
  await publisher.setMasterKey(gw.masterKey);
  await publisher.flush();
  edge = await startLocalEdge({ host: '127.0.0.1', port: await freePort(), originUrl: gw.url, kvsFile: join(dir, 'kvs.json') });
  client = new OpenAI({ apiKey: gw.masterKey, baseURL: `http://127.0.0.1:${edge.port}/v1`, maxRetries: 0, timeout: 10_000 });
});
after(async () => {
  await edge?.close();
  await gw?.stop();
  await mock?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('images and moderations through the local edge', () => {
  it('images.generate: b64 image, token usage priced', async () => {
    const { data: r, response } = await client.images.generate({ model: 'gpt-image-1', prompt: 'a red square', n: 2 }).withResponse();
    assert.equal(mock.stats().lastRequest?.path, '/v1/images/generations');
    assert.equal(r.data?.length, 2);
    assert.ok(r.data?.[0]?.b64_json);
    const u = r.usage!;
    const expected = (u.input_tokens * IMAGE_PRICE.input + u.output_tokens * IMAGE_PRICE.output) / 1e6;
    assert.equal(Math.round(Number(response.headers.get('x-skyway-cost-usd')) * 1e6), Math.round(expected * 1e6));
  });

  it('images.generate with dall-e-3: priced per image by quality and size from prices.json, recorded with the images', async () => {
    const { data: r, response } = await client.images.generate({ model: 'dall-e-3', prompt: 'a red square', n: 1, size: '1024x1792', quality: 'hd' }).withResponse();
    assert.equal(r.data?.length, 1);
    // prices.json: dall-e-3 hd/1024x1792 is $0.12 an image.
    assert.equal(Number(response.headers.get('x-skyway-cost-usd')), 0.12);
  });

  it('moderations.create: results come back untouched; the default model is used when none is given', async () => {
    const r = await client.moderations.create({ input: ['hello', 'plan the attack'] });
    assert.equal(r.results.length, 2);
    assert.equal(r.results[0]!.flagged, false);
    assert.equal(r.results[1]!.flagged, true);
    assert.equal((mock.stats().lastRequest?.body as { model?: string }).model, 'omni-moderation-latest');
  });

  it('a model without an OpenAI-compatible deployment is refused in OpenAI shape', async () => {
    await assert.rejects(client.images.generate({ model: 'claude-x', prompt: 'x' }), (e: unknown) => e instanceof OpenAI.BadRequestError && (e.error as { code?: string }).code === 'unsupported_operation');
  });
});
