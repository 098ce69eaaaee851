/**
 * Every provider adapter through the real gateway process, with the official clients unmodified:
 * the `openai` client on /v1/chat/completions (chat, streaming with usage, tool calls round trip) and
 * `@anthropic-ai/sdk` on /v1/messages (plain, streaming, tool use), against fake upstreams on 127.0.0.1 that
 * answer with recorded wire formats (regional/test/fixtures/providers/). Expected values come from the
 * recordings, not from the gateway's output.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startGatewayProcess, type GatewayProcess } from '../../test-support/gateway.js';
import { overflowMarker, PROVIDERS, RECORDED_STREAM_TOOLS, startRecordedProvider, type ProviderName, type RecordedProvider } from '../../test-support/providers-recorded.js';

const weatherTool: OpenAI.Chat.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a place',
    parameters: { type: 'object', properties: { location: { type: 'string' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } }, required: ['location'] },
  },
};
const anthropicTool: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Current weather for a place',
  input_schema: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
};
const TOOL_RESULT = 'tool-result: 12 degrees, marker-7f3a';

const ups = new Map<ProviderName, RecordedProvider>();
let gw: GatewayProcess;
let openai: OpenAI;
let anthropic: Anthropic;

const modelOf = (p: ProviderName) => `${p}-chat`;

before(async () => {
  for (const p of PROVIDERS) ups.set(p, await startRecordedProvider(p));
  const openaiUp = ups.get('openai')!;
  const config =
    'models:\n' +
    PROVIDERS.map((p) => ups.get(p)!.modelYaml(modelOf(p))).join('') +
    // Prompts too long for the Anthropic deployment go to Gemini.
    ups.get('anthropic')!.modelYaml('claude-small', `    context_window_fallbacks: [${modelOf('gemini')}]\n`) +
    ups.get('anthropic')!.modelYaml('claude-priced', `    context_window_fallbacks: [${modelOf('gemini')}]\n`) +
    // A model no price table knows: no cost header.
    `  - name: house-model\n    deployments:\n      - provider: openai\n        model: house-model-7b\n        api_base: ${openaiUp.upstream.url}/v1\n        api_key_env: E2E_OPENAI_KEY\n` +
    // The public name's price overrides the built-in one of the upstream model (gpt-4o-mini).
    `pricing:\n  ${modelOf('openai')}: { input: 1, output: 2 }\n  claude-priced: { input: 100, output: 100 }\n`;
  const env: Record<string, string> = {};
  for (const up of ups.values()) Object.assign(env, up.env);
  gw = await startGatewayProcess({ config, env });
  openai = new OpenAI({ apiKey: gw.masterKey, baseURL: `${gw.url}/v1`, maxRetries: 0, timeout: 10_000 });
  anthropic = new Anthropic({ apiKey: gw.masterKey, baseURL: gw.url, maxRetries: 0, timeout: 10_000 });
});

after(async () => {
  await gw?.stop();
  for (const up of ups.values()) await up.close();
});

function expectedCost(up: RecordedProvider, usage: { prompt: number; completion: number }): number {
  return (usage.prompt * up.expect.price.input + usage.completion * up.expect.price.output) / 1_000_000;
}

function assertCost(header: string | null, expected: number): void {
  assert.ok(header !== null, 'x-skyway-cost-usd is missing');
  assert.match(header, /^\d+(\.\d+)?$/);
  assert.ok(Math.abs(Number(header) - expected) < 1e-9, `x-skyway-cost-usd ${header}, expected ${expected}`);
}

/** The upstream's last request carried the provider's credentials and reached the right URL. */
function assertAuth(up: RecordedProvider): void {
  const r = up.upstream.received.at(-1);
  assert.ok(r, `${up.name}: the upstream received nothing`);
  assert.equal(up.authProblem(r), '');
}

/** Tool-call deltas of a stream, joined per index. */
function joinToolCalls(chunks: OpenAI.Chat.ChatCompletionChunk[]): Array<{ id: string; name: string; args: string }> {
  const calls: Array<{ id: string; name: string; args: string }> = [];
  for (const c of chunks) {
    for (const tc of c.choices[0]?.delta.tool_calls ?? []) {
      const call = (calls[tc.index] ??= { id: '', name: '', args: '' });
      if (tc.id) call.id = tc.id;
      if (tc.function?.name) call.name += tc.function.name;
      if (tc.function?.arguments) call.args += tc.function.arguments;
    }
  }
  return calls;
}

for (const p of PROVIDERS) {
  describe(`${p} adapter through the gateway`, () => {
    const model = modelOf(p);
    const up = () => ups.get(p)!;

    it('openai client: chat completion with usage, deployment headers and cost', async () => {
      const { data, response } = await openai.chat.completions
        .create({ model, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }], max_tokens: 100 })
        .withResponse();
      assert.equal(up().turns.at(-1), 'text');
      assertAuth(up());
      assert.equal(data.object, 'chat.completion');
      assert.equal(data.choices[0]!.message.role, 'assistant');
      assert.equal(data.choices[0]!.message.content, up().expect.text);
      assert.equal(data.choices[0]!.finish_reason, 'stop');
      const u = up().expect.textUsage;
      assert.equal(data.usage?.prompt_tokens, u.prompt);
      assert.equal(data.usage?.completion_tokens, u.completion);
      assert.equal(response.headers.get('x-skyway-deployment'), `${model}/0`);
      assert.equal(response.headers.get('x-skyway-attempts'), '1');
      assert.equal(response.headers.get('x-skyway-fallback-model'), null);
      assertCost(response.headers.get('x-skyway-cost-usd'), expectedCost(up(), u));
    });

    it('openai client: streaming with usage', async () => {
      const stream = await openai.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Stream please' }],
        max_tokens: 100,
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let usage: OpenAI.CompletionUsage | null | undefined;
      let finish: string | null | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) usage = chunk.usage;
      }
      assert.equal(up().turns.at(-1), 'stream');
      assertAuth(up());
      assert.equal(text, up().expect.streamText);
      assert.equal(finish, 'stop');
      assert.equal(usage?.prompt_tokens, up().expect.streamUsage.prompt);
      assert.equal(usage?.completion_tokens, up().expect.streamUsage.completion);
    });

    it('openai client: a tool call survives the round trip', async () => {
      const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'What is the weather?' }];
      const first = await openai.chat.completions.create({ model, messages, tools: [weatherTool], tool_choice: 'auto' });
      assert.equal(up().turns.at(-1), 'tool');
      const msg = first.choices[0]!.message;
      assert.equal(first.choices[0]!.finish_reason, 'tool_calls');
      const call = msg.tool_calls?.[0];
      assert.ok(call && call.type === 'function', `no tool call in ${JSON.stringify(msg)}`);
      assert.ok(call.id.length > 0);
      assert.equal(call.function.name, up().expect.tool.name);
      assert.deepEqual(JSON.parse(call.function.arguments), up().expect.tool.args);

      messages.push(msg, { role: 'tool', tool_call_id: call.id, content: TOOL_RESULT });
      const second = await openai.chat.completions.create({ model, messages, tools: [weatherTool] });
      assert.equal(up().turns.at(-1), 'after-tool');
      // The upstream got the call back in its own format: name, arguments and our result.
      const sent = up().upstream.received.at(-1)!.body.toString('utf8');
      assert.ok(sent.includes(TOOL_RESULT), `tool result not forwarded: ${sent}`);
      assert.ok(sent.includes(call.function.name));
      const firstArg = Object.values(up().expect.tool.args)[0] as string;
      assert.ok(sent.includes(firstArg), `tool arguments not forwarded: ${sent}`);
      assert.equal(second.choices[0]!.message.content, up().expect.afterToolText);
      assert.equal(second.choices[0]!.finish_reason, 'stop');
    });

    if (RECORDED_STREAM_TOOLS.has(p)) {
      it('openai client: streamed tool call arguments', async () => {
        const stream = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'Weather?' }], tools: [weatherTool], stream: true });
        const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
        for await (const c of stream) chunks.push(c);
        assert.equal(up().turns.at(-1), 'stream-tool');
        const calls = joinToolCalls(chunks);
        const expected = up().expect.streamTool!;
        assert.equal(calls.length, 1, JSON.stringify(calls));
        assert.equal(calls[0]!.name, expected.name);
        assert.ok(calls[0]!.id.length > 0);
        assert.deepEqual(JSON.parse(calls[0]!.args), expected.args);
        assert.equal(chunks.map((c) => c.choices[0]?.finish_reason).find((f) => f), 'tool_calls');
      });
    }

    it('openai client: a stream without include_usage carries no usage chunk', async () => {
      const stream = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'Stream please' }], stream: true });
      let text = '';
      for await (const chunk of stream) {
        assert.equal(chunk.usage ?? null, null, `usage leaked to the client: ${JSON.stringify(chunk)}`);
        text += chunk.choices[0]?.delta.content ?? '';
      }
      assert.equal(up().turns.at(-1), 'stream');
      assert.equal(text, up().expect.streamText);
    });

    it("openai client: the recorded 'prompt too long' error is a 400 context_length_exceeded, sent once", async () => {
      const before = up().upstream.received.length;
      await assert.rejects(
        openai.chat.completions.create({ model, messages: [{ role: 'user', content: `long ${overflowMarker(p)}` }] }),
        (err: unknown) => {
          assert.ok(err instanceof OpenAI.APIError, String(err));
          assert.equal(err.status, 400);
          assert.equal(err.code, 'context_length_exceeded');
          assert.equal(err.type, 'invalid_request_error');
          return true;
        },
      );
      assert.equal(up().upstream.received.length - before, 1, 'a client error is not retried');
      assert.equal(up().turns.at(-1), 'context-overflow');
    });

    it("anthropic sdk: an upstream error arrives in Anthropic's error shape", async () => {
      await assert.rejects(
        anthropic.messages.create({ model, max_tokens: 64, messages: [{ role: 'user', content: `long ${overflowMarker(p)}` }] }),
        (err: unknown) => {
          assert.ok(err instanceof Anthropic.BadRequestError, String(err));
          const body = err.error as { type?: string; error?: { type?: string; message?: string } };
          assert.equal(body.type, 'error');
          assert.equal(body.error?.type, 'invalid_request_error');
          assert.ok((body.error?.message ?? '').length > 0);
          return true;
        },
      );
    });

    it('anthropic sdk: /v1/messages', async () => {
      const { data, response } = await anthropic.messages
        .create({ model, max_tokens: 256, system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }] })
        .withResponse();
      assert.equal(up().turns.at(-1), 'text');
      assertAuth(up());
      assert.equal(data.type, 'message');
      assert.equal(data.role, 'assistant');
      assert.equal(data.model, model);
      assert.equal(data.stop_reason, 'end_turn');
      const block = data.content[0];
      assert.ok(block?.type === 'text', JSON.stringify(data.content));
      assert.equal(block.text, up().expect.text);
      const u = up().expect.textUsage;
      assert.equal(data.usage.input_tokens + (data.usage.cache_read_input_tokens ?? 0), u.prompt);
      assert.equal(data.usage.output_tokens, u.completion);
      assert.equal(response.headers.get('x-skyway-deployment'), `${model}/0`);
      assertCost(response.headers.get('x-skyway-cost-usd'), expectedCost(up(), u));
    });

    it('anthropic sdk: /v1/messages streaming', async () => {
      const stream = anthropic.messages.stream({ model, max_tokens: 256, messages: [{ role: 'user', content: 'Stream please' }] });
      let text = '';
      stream.on('text', (t) => (text += t));
      const final = await stream.finalMessage();
      assert.equal(up().turns.at(-1), 'stream');
      assert.equal(text, up().expect.streamText);
      const block = final.content[0];
      assert.ok(block?.type === 'text', JSON.stringify(final.content));
      assert.equal(block.text, up().expect.streamText);
      assert.equal(final.stop_reason, 'end_turn');
      assert.equal(final.usage.output_tokens, up().expect.streamUsage.completion);
      assert.equal(final.usage.input_tokens + (final.usage.cache_read_input_tokens ?? 0), up().expect.streamUsage.prompt);
    });

    it('anthropic sdk: tool use and tool result round trip', async () => {
      const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'What is the weather?' }];
      const first = await anthropic.messages.create({ model, max_tokens: 256, messages, tools: [anthropicTool] });
      assert.equal(up().turns.at(-1), 'tool');
      assert.equal(first.stop_reason, 'tool_use');
      const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
      assert.ok(use, JSON.stringify(first.content));
      assert.equal(use.name, up().expect.tool.name);
      assert.deepEqual(use.input, up().expect.tool.args);
      messages.push({ role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: TOOL_RESULT }] });
      const second = await anthropic.messages.create({ model, max_tokens: 256, messages, tools: [anthropicTool] });
      assert.equal(up().turns.at(-1), 'after-tool');
      assert.ok(up().upstream.received.at(-1)!.body.toString('utf8').includes(TOOL_RESULT));
      const block = second.content[0];
      assert.ok(block?.type === 'text', JSON.stringify(second.content));
      assert.equal(block.text, up().expect.afterToolText);
    });
  });
}

describe('context-window fallback across providers', () => {
  it("a recorded 'prompt too long' from Anthropic sends the request to the Gemini model", async () => {
    const gemini = ups.get('gemini')!;
    const { data, response } = await openai.chat.completions
      .create({ model: 'claude-small', messages: [{ role: 'user', content: `long ${overflowMarker('anthropic')}` }] })
      .withResponse();
    assert.equal(ups.get('anthropic')!.turns.at(-1), 'context-overflow');
    assert.equal(gemini.turns.at(-1), 'text');
    assert.equal(data.choices[0]!.message.content, gemini.expect.text);
    assert.equal(response.headers.get('x-skyway-fallback-model'), modelOf('gemini'));
    assert.equal(response.headers.get('x-skyway-deployment'), `${modelOf('gemini')}/0`);
    assert.equal(response.headers.get('x-skyway-attempts'), '2');
    // Priced as what served it (Gemini), not as what was asked for.
    assertCost(response.headers.get('x-skyway-cost-usd'), expectedCost(gemini, gemini.expect.textUsage));
  });

  // Product bug (reported): ProxyRequest.cost() prices usage with the model the client asked for (this.model)
  // before the served deployment's, so a fallback's tokens are charged at the requested model's price.
  it('a fallback is priced as the model that served it, even when the requested model has a price', async () => {
    const gemini = ups.get('gemini')!;
    const { response } = await openai.chat.completions
      .create({ model: 'claude-priced', messages: [{ role: 'user', content: `long ${overflowMarker('anthropic')}` }] })
      .withResponse();
    assert.equal(response.headers.get('x-skyway-fallback-model'), modelOf('gemini'));
    assertCost(response.headers.get('x-skyway-cost-usd'), expectedCost(gemini, gemini.expect.textUsage));
  });
});

describe('cost header', () => {
  it('is absent for a model without a known price', async () => {
    const { data, response } = await openai.chat.completions.create({ model: 'house-model', messages: [{ role: 'user', content: 'Hi' }] }).withResponse();
    assert.equal(data.choices[0]!.message.content, 'Hello! How can I assist you today?');
    assert.equal(response.headers.get('x-skyway-deployment'), 'house-model/0');
    assert.equal(response.headers.get('x-skyway-cost-usd'), null);
  });
});
