/**
 * Anthropic prompt caching through the real gateway process: `@anthropic-ai/sdk` on /v1/messages and the
 * `openai` client on /v1/chat/completions send `cache_control` breakpoints; the fake Anthropic upstream checks
 * they arrive where Anthropic reads them and answers with recorded cache-write and cache-read responses; the
 * clients get the cache usage back in their own shape, and x-skyway-cost-usd prices each token kind. Expected
 * numbers come from the recordings and prices.json.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startGatewayProcess, type GatewayProcess } from '../../test-support/gateway.js';
import { chop, fixture, fixtureJson, startFakeUpstream, type FakeUpstream, type ReceivedRequest } from '../../test-support/providers-fake-upstream.js';
import { DEFAULT_PRICES } from '../src/pricing/index.js';

interface RecordedUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}
const WRITE = fixtureJson<{ usage: RecordedUsage }>('anthropic/messages-cache-write.json').usage;
const READ = fixtureJson<{ usage: RecordedUsage }>('anthropic/messages-cache-read.json').usage;
const PRICE = DEFAULT_PRICES['claude-sonnet-4']!;
const LONG = 'Clause 14.2: either party may terminate this agreement with thirty days written notice. '.repeat(60);
const EPHEMERAL = { type: 'ephemeral' as const };

let up: FakeUpstream;
let gw: GatewayProcess;
let anthropic: Anthropic;
let openai: OpenAI;
let reads = 0;

/** The first request that carries breakpoints writes the cache; later ones read it. */
function answer(r: ReceivedRequest) {
  const body = r.json();
  if (body.stream === true) return { headers: { 'content-type': 'text/event-stream' }, body: chop(fixture('anthropic/stream-cache-read.sse')) };
  return { body: fixture(reads++ === 0 ? 'anthropic/messages-cache-write.json' : 'anthropic/messages-cache-read.json') };
}

before(async () => {
  up = await startFakeUpstream(answer);
  const config =
    'models:\n  - name: claude-cached\n    deployments:\n      - provider: anthropic\n        model: claude-sonnet-4-5-20250929\n' +
    `        api_base: ${up.url}/v1\n        api_key_env: E2E_ANTHROPIC_KEY\n`;
  gw = await startGatewayProcess({ config, env: { E2E_ANTHROPIC_KEY: 'sk-ant-e2e' } });
  anthropic = new Anthropic({ apiKey: gw.masterKey, baseURL: gw.url, maxRetries: 0, timeout: 10_000 });
  openai = new OpenAI({ apiKey: gw.masterKey, baseURL: `${gw.url}/v1`, maxRetries: 0, timeout: 10_000 });
});

after(async () => {
  await gw?.stop();
  await up?.close();
});

const micros = (usd: number) => Math.round(usd * 1e6);
function costOf(u: RecordedUsage): number {
  return (u.input_tokens * PRICE.input + u.cache_creation_input_tokens * PRICE.cacheWrite! + u.cache_read_input_tokens * PRICE.cachedInput! + u.output_tokens * PRICE.output) / 1e6;
}

describe('prompt caching (cache_control) through the gateway', () => {
  it('/v1/messages: breakpoints on system, tools and user content reach Anthropic; cache write then read come back', async () => {
    const params: Anthropic.MessageCreateParamsNonStreaming = {
      model: 'claude-cached',
      max_tokens: 100,
      system: [{ type: 'text', text: LONG, cache_control: EPHEMERAL }],
      tools: [{ name: 'lookup', description: 'Look up a clause', input_schema: { type: 'object', properties: { n: { type: 'string' } } }, cache_control: EPHEMERAL }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is the notice period?', cache_control: EPHEMERAL }] }],
    };
    const first = await anthropic.messages.create(params).withResponse();
    const sent = up.received.at(-1)!.json() as { system: Array<{ text: string; cache_control?: unknown }>; tools: Array<{ cache_control?: unknown }>; messages: Array<{ content: Array<{ cache_control?: unknown }> }> };
    assert.ok(Array.isArray(sent.system), 'system must stay in block form to carry cache_control');
    assert.deepEqual(sent.system[0]!.cache_control, EPHEMERAL);
    assert.equal(sent.system[0]!.text, LONG);
    assert.deepEqual(sent.tools[0]!.cache_control, EPHEMERAL);
    assert.deepEqual(sent.messages[0]!.content[0]!.cache_control, EPHEMERAL);

    const u1 = first.data.usage;
    assert.equal(u1.input_tokens, WRITE.input_tokens);
    assert.equal(u1.cache_creation_input_tokens, WRITE.cache_creation_input_tokens);
    assert.equal(u1.cache_read_input_tokens, 0);
    assert.equal(u1.output_tokens, WRITE.output_tokens);
    assert.equal(micros(Number(first.response.headers.get('x-skyway-cost-usd'))), micros(costOf(WRITE)));

    const second = await anthropic.messages.create(params).withResponse();
    const u2 = second.data.usage;
    assert.equal(u2.input_tokens, READ.input_tokens);
    assert.equal(u2.cache_read_input_tokens, READ.cache_read_input_tokens);
    assert.equal(u2.cache_creation_input_tokens, 0);
    assert.equal(micros(Number(second.response.headers.get('x-skyway-cost-usd'))), micros(costOf(READ)));
  });

  it('/v1/messages streamed: the final message carries the cache read', async () => {
    const stream = anthropic.messages.stream({
      model: 'claude-cached',
      max_tokens: 100,
      system: [{ type: 'text', text: LONG, cache_control: EPHEMERAL }],
      messages: [{ role: 'user', content: 'Notice period?' }],
    });
    const msg = await stream.finalMessage();
    assert.equal(msg.content[0]?.type === 'text' ? msg.content[0].text : '', "Thirty days' notice.");
    assert.equal(msg.usage.cache_read_input_tokens, READ.cache_read_input_tokens);
    assert.equal(msg.usage.input_tokens, READ.input_tokens);
  });

  it('/v1/chat/completions: cache_control on content parts and tools reaches Anthropic; cached_tokens comes back', async () => {
    type Part = OpenAI.Chat.ChatCompletionContentPartText & { cache_control?: typeof EPHEMERAL };
    const system: Part[] = [{ type: 'text', text: LONG, cache_control: EPHEMERAL }];
    const res = await openai.chat.completions.create({
      model: 'claude-cached',
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: [{ type: 'text', text: 'Notice period?', cache_control: EPHEMERAL } as Part] },
      ],
    });
    const sent = up.received.at(-1)!.json() as { system: Array<{ cache_control?: unknown }>; messages: Array<{ content: Array<{ cache_control?: unknown }> }> };
    assert.deepEqual(sent.system[0]!.cache_control, EPHEMERAL);
    assert.deepEqual(sent.messages[0]!.content[0]!.cache_control, EPHEMERAL);
    const u = res.usage!;
    assert.equal(u.prompt_tokens_details?.cached_tokens, READ.cache_read_input_tokens);
    assert.equal(u.prompt_tokens, READ.input_tokens + READ.cache_read_input_tokens);
  });
});
