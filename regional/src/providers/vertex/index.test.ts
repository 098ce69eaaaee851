/**
 * Vertex AI adapter through the OpenAI SDK: Gemini and Anthropic models against a fake Vertex endpoint serving
 * recorded wire formats (regional/test/fixtures/providers/vertex), with Google credentials from a workload
 * identity federation file whose token exchange goes to a fake STS on 127.0.0.1 (google-auth-library reads
 * `token_url` from the file).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import adapter from './index.js';
import { parseConfig, resolveConfig } from '../../config/load.js';
import { nativeProviderNames, validateDeployment } from '../registry.js';
import { chop, fixture, fixtureJson, startFakeUpstream, type FakeUpstream } from '../../../../test-support/providers-fake-upstream.js';
import { startMiniGateway, testDeployment, type MiniGateway } from '../../../../test-support/providers-mini-gateway.js';

const TOKEN = fixtureJson<{ access_token: string }>('vertex/sts-token.json').access_token;
const SUBJECT = 'aws-signed-subject-token-for-test';

describe('vertex adapter (OpenAI SDK → fake Vertex AI, fake Google STS)', () => {
  let up: FakeUpstream;
  let sts: FakeUpstream;
  let gemini: MiniGateway;
  let claude: MiniGateway;
  let geminiClient: OpenAI;
  let claudeClient: OpenAI;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'skyway-vertex-'));
    sts = await startFakeUpstream(() => ({ body: fixture('vertex/sts-token.json') }));
    up = await startFakeUpstream(() => ({ body: fixture('vertex/generate-text.json') }));
    writeFileSync(join(dir, 'subject-token'), SUBJECT);
    const credentials = join(dir, 'wif.json');
    writeFileSync(
      credentials,
      JSON.stringify({
        type: 'external_account',
        audience: '//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/skyway/providers/aws',
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        token_url: `${sts.url}/v1/token`,
        credential_source: { file: join(dir, 'subject-token') },
      }),
    );
    const options = { project: 'proj-1', location: 'us-east5', credentials_file: credentials };
    gemini = await startMiniGateway(adapter, testDeployment({ provider: 'vertex', apiBase: up.url, upstreamModel: 'gemini-2.5-flash', apiKey: undefined, options }));
    claude = await startMiniGateway(adapter, testDeployment({ provider: 'vertex', apiBase: up.url, upstreamModel: 'claude-sonnet-4-5@20250929', apiKey: undefined, options: { ...options, default_max_tokens: 512 } }));
    geminiClient = new OpenAI({ apiKey: 'sk-client', baseURL: `${gemini.url}/v1`, maxRetries: 0 });
    claudeClient = new OpenAI({ apiKey: 'sk-client', baseURL: `${claude.url}/v1`, maxRetries: 0 });
  });
  after(async () => {
    await gemini.close();
    await claude.close();
    await up.close();
    await sts.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('Gemini generateContent: project/location path, Google token, cached and thinking tokens in usage', async () => {
    up.handle(() => ({ body: fixture('vertex/generate-text.json') }));
    const res = await geminiClient.chat.completions.create({ model: 'g', messages: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'Hi' }] });
    const r = up.received.at(-1)!;
    assert.equal(r.path, '/v1/projects/proj-1/locations/us-east5/publishers/google/models/gemini-2.5-flash:generateContent');
    assert.equal(r.headers.authorization, `Bearer ${TOKEN}`);
    assert.deepEqual(r.json(), { contents: [{ role: 'user', parts: [{ text: 'Hi' }] }], systemInstruction: { parts: [{ text: 'Be kind.' }] } });
    assert.equal(res.choices[0]!.message.content, 'Hello from Vertex! How can I help?');
    assert.deepEqual(res.usage, { prompt_tokens: 1200, completion_tokens: 49, total_tokens: 1249, prompt_tokens_details: { cached_tokens: 1024 }, completion_tokens_details: { reasoning_tokens: 40 } });
    // The workload-identity exchange sent the subject token to the STS.
    const ex = sts.received.at(-1)!;
    assert.match(ex.body.toString('utf8'), new RegExp(`subject_token=${SUBJECT}`));
    assert.match(ex.body.toString('utf8'), /grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange/);
  });

  test('Gemini streamGenerateContent?alt=sse: text and usage', async () => {
    up.handle(() => ({ headers: { 'content-type': 'text/event-stream' }, body: chop(fixture('vertex/stream-text.sse')) }));
    const stream = await geminiClient.chat.completions.create({ model: 'g', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      if (c.usage) usage = c.usage;
    }
    assert.equal(up.received.at(-1)!.path, '/v1/projects/proj-1/locations/us-east5/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    assert.equal(text, 'Vertex streams, too.');
    assert.equal(usage?.prompt_tokens, 7);
    assert.equal(usage?.completion_tokens, 4);
  });

  test('Anthropic rawPredict: vertex anthropic_version, no model in the body, cache read in usage', async () => {
    up.handle(() => ({ body: fixture('vertex/rawpredict-text.json') }));
    const res = await claudeClient.chat.completions.create({ model: 'c', messages: [{ role: 'user', content: 'Hi' }] });
    const r = up.received.at(-1)!;
    assert.equal(r.path, '/v1/projects/proj-1/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5%4020250929:rawPredict');
    assert.equal(r.headers.authorization, `Bearer ${TOKEN}`);
    assert.deepEqual(r.json(), { anthropic_version: 'vertex-2023-10-16', max_tokens: 512, messages: [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }] });
    assert.equal(res.choices[0]!.message.content, 'Hello from Claude on Vertex.');
    assert.equal(res.usage?.prompt_tokens, 14 + 2048);
    assert.equal(res.usage?.prompt_tokens_details?.cached_tokens, 2048);
  });

  test('Anthropic on Vertex: cache_control on a chat content part reaches rawPredict', async () => {
    up.handle(() => ({ body: fixture('vertex/rawpredict-text.json') }));
    const part = { type: 'text', text: 'long document', cache_control: { type: 'ephemeral' } } as OpenAI.Chat.ChatCompletionContentPartText;
    await claudeClient.chat.completions.create({ model: 'c', messages: [{ role: 'system', content: [part] }, { role: 'user', content: 'Q?' }] });
    const sent = up.received.at(-1)!.json() as { system: Array<{ text: string; cache_control?: unknown }> };
    assert.deepEqual(sent.system, [{ type: 'text', text: 'long document', cache_control: { type: 'ephemeral' } }]);
  });

  test('Anthropic streamRawPredict: stream flag in the body, text and usage', async () => {
    up.handle(() => ({ headers: { 'content-type': 'text/event-stream' }, body: chop(fixture('vertex/streamrawpredict-text.sse')) }));
    const stream = await claudeClient.chat.completions.create({ model: 'c', messages: [{ role: 'user', content: 'Hi' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      if (c.usage) usage = c.usage;
    }
    const r = up.received.at(-1)!;
    assert.ok(r.path.endsWith(':streamRawPredict'));
    assert.equal(r.json().stream, true);
    assert.equal(text, 'Streaming via Vertex.');
    assert.deepEqual([usage?.prompt_tokens, usage?.completion_tokens], [11, 6]);
  });

  test('a Google 429 becomes the OpenAI rate-limit error; the token is fetched once and reused', async () => {
    up.handle(() => ({ status: 429, body: fixture('vertex/error-429-quota.json') }));
    await assert.rejects(geminiClient.chat.completions.create({ model: 'g', messages: [{ role: 'user', content: 'Hi' }] }), (e: unknown) => e instanceof OpenAI.RateLimitError);
    assert.equal(sts.received.length, 1, 'google-auth-library caches the access token');
  });

  test('a config with provider: vertex loads (no api key needed) and resolves the endpoint', () => {
    const raw = parseConfig(
      'models:\n  - name: claude-vertex\n    deployments:\n      - provider: vertex\n        model: claude-sonnet-4-5@20250929\n        options: { project: p1, location: europe-west1 }\n',
      'v.yaml',
    );
    const table = resolveConfig(raw, 'v.yaml', { env: {}, secrets: {}, nativeProviders: nativeProviderNames(), validateDeployment, defaultTimeoutMs: 1000 });
    const d = table.models.get('claude-vertex')!.deployments[0]!;
    assert.equal(d.provider, 'vertex');
    assert.equal(d.apiKey, undefined);
  });

  test('options are checked at load', () => {
    assert.throws(() => adapter.validateDeployment(testDeployment({ provider: 'vertex', apiBase: '', upstreamModel: 'gemini-2.5-flash', options: {} })), /project/);
  });
});
