/**
 * Validation through a real gateway process: requests OpenAI would refuse are answered 400 with `param` naming
 * the path and never reach the upstream; a 200,000-deep body cannot hurt the process. And the mock behaves like
 * a model for real clients: the openai SDK's tool runner finishes an agent loop, `.parse()` gets a valid object.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { startMockUpstream, type MockUpstream } from '../../loadtest/mock/server.js';
import { mockConfig, startGatewayProcess, type GatewayProcess } from '../../test-support/gateway.js';

let mock: MockUpstream;
let gw: GatewayProcess;
let client: OpenAI;

before(async () => {
  mock = await startMockUpstream({ port: 0 });
  gw = await startGatewayProcess({ config: mockConfig(mock.url) });
  client = new OpenAI({ apiKey: gw.masterKey, baseURL: `${gw.url}/v1`, maxRetries: 0 });
});
after(async () => {
  await gw?.stop();
  await mock?.close();
});

function post(path: string, body: string): Promise<Response> {
  return fetch(gw.url + path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${gw.masterKey}` }, body });
}

const user = { role: 'user', content: 'hi' };

describe('validation through the gateway', () => {
  const cases: Array<[string, string, Record<string, unknown>, string, string]> = [
    ['an unknown role', '/v1/chat/completions', { model: 'mock-1', messages: [user, { role: 'robot', content: 'x' }] }, 'invalid_value', 'messages[1].role'],
    ['a bad function name', '/v1/chat/completions', { model: 'mock-1', messages: [user], tools: [{ type: 'function', function: { name: 'get weather' } }] }, 'invalid_value', 'tools[0].function.name'],
    ['temperature 2.5', '/v1/chat/completions', { model: 'mock-1', messages: [user], temperature: 2.5 }, 'decimal_above_max_value', 'temperature'],
    ['stream_options without stream', '/v1/chat/completions', { model: 'mock-1', messages: [user], stream_options: { include_usage: true } }, 'invalid_value', 'stream_options'],
    ['an empty embeddings input', '/v1/embeddings', { model: 'mock-embed', input: [] }, 'empty_array', 'input'],
    ['a bad prompt token', '/v1/completions', { model: 'mock-1', prompt: [1, 'x'] }, 'invalid_value', 'prompt[1]'],
  ];
  for (const [name, path, body, code, param] of cases) {
    it(`refuses ${name} with 400 ${code} at ${param}, without calling the upstream`, async () => {
      mock.reset();
      const res = await post(path, JSON.stringify(body));
      assert.equal(res.status, 400);
      const err = ((await res.json()) as { error: { code: string; param: string; type: string } }).error;
      assert.equal(err.type, 'invalid_request_error');
      assert.equal(err.code, code);
      assert.equal(err.param, param);
      assert.equal(mock.stats().total, 0);
    });
  }

  it('refuses a 200,000-deep body (stream: true) with 400 invalid_body and keeps serving', async () => {
    const deep = '{"model":"mock-1","stream":true,"messages":[{"role":"user","content":"x"}],"x":' + '['.repeat(200_000) + ']'.repeat(200_000) + '}';
    const res = await post('/v1/chat/completions', deep);
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'invalid_body');
    assert.equal((await post('/v1/chat/completions', JSON.stringify({ model: 'mock-1', messages: [user] }))).status, 200);
  });
});

describe('the mock behaves like a model for the openai SDK (through the gateway)', () => {
  it('runTools finishes an agent loop: a tool call, the tool result, then a text answer', async () => {
    const calls: Array<{ city: string }> = [];
    const runner = client.chat.completions.runTools({
      model: 'mock-1',
      messages: [{ role: 'user', content: 'What is the weather in Lisbon today?' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather for a city',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
            parse: (args: string) => JSON.parse(args) as { city: string },
            function: (args: { city: string }) => {
              calls.push(args);
              return { city: args.city, temp_c: 21 };
            },
          },
        },
      ],
    }, { maxChatCompletions: 5 });
    const content = await runner.finalContent();
    assert.equal(calls.length, 1);
    assert.equal(typeof calls[0]!.city, 'string');
    assert.ok(content && content.length > 0);
    const roles = runner.messages.map((m) => m.role);
    assert.deepEqual(roles, ['user', 'assistant', 'tool', 'assistant']);
  });

  it('.parse() with a zod response_format returns an object that satisfies the schema', async () => {
    const Event = z.object({
      name: z.string(),
      date: z.string(),
      attendees: z.array(z.object({ name: z.string(), role: z.enum(['host', 'guest']) })),
      capacity: z.number().int(),
      notes: z.string().nullable(),
    });
    const r = await client.chat.completions.parse({
      model: 'mock-1',
      messages: [{ role: 'user', content: 'Extract the event: Alice hosts a party on Friday.' }],
      response_format: zodResponseFormat(Event, 'event'),
    });
    const parsed = r.choices[0]!.message.parsed;
    assert.ok(parsed);
    assert.doesNotThrow(() => Event.parse(parsed));
    assert.ok(['host', 'guest'].includes(parsed.attendees[0]!.role));
  });

  it('the same seed gives the same answer through the gateway', async () => {
    const ask = () => client.chat.completions.create({ model: 'mock-1', messages: [{ role: 'user', content: 'a poem' }], seed: 7, logprobs: true, top_logprobs: 2 });
    const [a, b] = [await ask(), await ask()];
    assert.equal(a.choices[0]!.message.content, b.choices[0]!.message.content);
    assert.equal(a.choices[0]!.logprobs?.content?.[0]?.top_logprobs.length, 2);
  });
});
