/** The mock behaves like a model: tool decisions, JSON answers, logprobs, seeds; and it is as strict as OpenAI. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch } from 'undici';
import { startMockUpstream, type MockUpstream } from './server.js';

let mock: MockUpstream;
const agent = new Agent({ keepAliveTimeout: 1000 });
before(async () => {
  mock = await startMockUpstream({ port: 0 });
});
after(async () => {
  await mock.close();
  await agent.close();
});

// biome-ignore lint: test-only loose JSON
type J = any;

async function chat(body: Record<string, unknown>): Promise<{ status: number; body: J }> {
  const res = await fetch(mock.url + '/v1/chat/completions', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock-1', ...body }),
    dispatcher: agent,
  });
  return { status: res.status, body: (await res.json()) as J };
}

const tools = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather forecast for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
  { type: 'function', function: { name: 'search_flights', description: 'Find flights between airports', parameters: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' } } } } },
];
const ask = (content: string) => [{ role: 'user', content }];

describe('mock upstream: tool decisions', () => {
  it('auto: calls the tool the prompt is about, answers text when none is relevant', async () => {
    const w = await chat({ messages: ask('Will it rain? What is the weather in Oslo?'), tools });
    assert.equal(w.body.choices[0].message.tool_calls[0].function.name, 'get_weather');
    const f = await chat({ messages: ask('Book me some flights to Rome'), tools, tool_choice: 'auto' });
    assert.equal(f.body.choices[0].message.tool_calls[0].function.name, 'search_flights');
    const t = await chat({ messages: ask('Tell me a story about dragons'), tools });
    assert.equal(t.body.choices[0].finish_reason, 'stop');
    assert.equal(typeof t.body.choices[0].message.content, 'string');
    assert.equal(t.body.choices[0].message.tool_calls, undefined);
  });

  it('answers in text after a tool result (no endless loop)', async () => {
    const first = await chat({ messages: ask('What is the weather in Oslo?'), tools });
    const msg = first.body.choices[0].message;
    const second = await chat({ messages: [...ask('What is the weather in Oslo?'), msg, { role: 'tool', tool_call_id: msg.tool_calls[0].id, content: '{"temp_c":4}' }], tools });
    assert.equal(second.body.choices[0].finish_reason, 'stop');
    assert.ok(second.body.choices[0].message.content.length > 0);
  });

  it('honours required and a named tool_choice, even for an unrelated prompt', async () => {
    const req = await chat({ messages: ask('Tell me a story'), tools, tool_choice: 'required' });
    assert.equal(req.body.choices[0].finish_reason, 'tool_calls');
    const named = await chat({ messages: ask('What is the weather?'), tools, tool_choice: { type: 'function', function: { name: 'search_flights' } } });
    assert.equal(named.body.choices[0].message.tool_calls[0].function.name, 'search_flights');
    const missing = await chat({ messages: ask('x'), tools, tool_choice: { type: 'function', function: { name: 'nope' } } });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.error.param, 'tool_choice');
  });
});

describe('mock upstream: other tool kinds', () => {
  it('never calls a custom tool, and honours allowed_tools modes', async () => {
    const custom = { type: 'custom', custom: { name: 'weather_grammar' } };
    const r = await chat({ messages: ask('What is the weather?'), tools: [custom] });
    assert.equal(r.status, 200);
    assert.equal(r.body.choices[0].finish_reason, 'stop');
    const allowed = await chat({ messages: ask('Tell me a story'), tools, tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'get_weather' } }] } } });
    assert.equal(allowed.body.choices[0].finish_reason, 'tool_calls');
  });
});

describe('mock upstream: JSON answers', () => {
  it('json_object: a JSON object, and OpenAI\'s rule that the prompt mentions JSON', async () => {
    const ok = await chat({ messages: ask('Answer in JSON please'), response_format: { type: 'json_object' } });
    const value = JSON.parse(ok.body.choices[0].message.content);
    assert.equal(typeof value, 'object');
    const refused = await chat({ messages: ask('Answer please'), response_format: { type: 'json_object' } });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.param, 'messages');
  });

  it('json_schema: a value matching types, required, enums, arrays, nested objects and $refs', async () => {
    const schema = {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'age', 'mood', 'tags', 'address', 'friend', 'nickname'],
      properties: {
        name: { type: 'string' },
        age: { type: 'integer', minimum: 18, maximum: 30 },
        mood: { type: 'string', enum: ['happy', 'sad'] },
        tags: { type: 'array', items: { type: 'string' }, minItems: 2 },
        address: { type: 'object', additionalProperties: false, required: ['city', 'zip'], properties: { city: { type: 'string' }, zip: { type: 'number' } } },
        friend: { $ref: '#/$defs/person' },
        nickname: { anyOf: [{ type: 'string' }, { type: 'null' }] },
      },
      $defs: { person: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } },
    };
    const r = await chat({ messages: ask('Describe a person'), response_format: { type: 'json_schema', json_schema: { name: 'person', strict: true, schema } } });
    const v = JSON.parse(r.body.choices[0].message.content);
    assert.deepEqual(Object.keys(v).sort(), schema.required.slice().sort());
    assert.equal(typeof v.name, 'string');
    assert.ok(Number.isInteger(v.age) && v.age >= 18 && v.age <= 30);
    assert.ok(['happy', 'sad'].includes(v.mood));
    assert.ok(Array.isArray(v.tags) && v.tags.length >= 2 && v.tags.every((t: unknown) => typeof t === 'string'));
    assert.equal(typeof v.address.city, 'string');
    assert.equal(typeof v.address.zip, 'number');
    assert.match(v.friend.id, /^[0-9a-f-]{36}$/);
    assert.equal(typeof v.nickname, 'string');
  });
});

describe('mock upstream: logprobs and seed', () => {
  it('returns plausible logprobs with the requested number of alternatives', async () => {
    const r = await chat({ messages: ask('hello'), logprobs: true, top_logprobs: 3 });
    const content = r.body.choices[0].message.content as string;
    const lp = r.body.choices[0].logprobs.content as J[];
    assert.equal(lp.map((t) => t.token).join(''), content);
    for (const t of lp) {
      assert.ok(t.logprob <= 0);
      assert.equal(t.top_logprobs.length, 3);
      assert.equal(t.top_logprobs[0].token, t.token);
      for (let i = 1; i < 3; i++) assert.ok(t.top_logprobs[i].logprob < t.top_logprobs[i - 1].logprob);
      assert.deepEqual(t.bytes, Array.from(Buffer.from(t.token)));
    }
    const none = await chat({ messages: ask('hello') });
    assert.equal(none.body.choices[0].logprobs, null);
  });

  it('same seed → same answer; another seed → another answer', async () => {
    const a = await chat({ messages: ask('hello'), seed: 42 });
    const b = await chat({ messages: ask('hello'), seed: 42 });
    const c = await chat({ messages: ask('hello'), seed: 43 });
    assert.equal(a.body.choices[0].message.content, b.body.choices[0].message.content);
    assert.notEqual(a.body.choices[0].message.content, c.body.choices[0].message.content);
  });
});

describe('mock upstream: as strict as OpenAI', () => {
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ['an unknown role', { messages: [{ role: 'robot', content: 'x' }] }, 'invalid_value', 'messages[0].role'],
    ['temperature 3', { messages: ask('x'), temperature: 3 }, 'decimal_above_max_value', 'temperature'],
    ['a bad function name', { messages: ask('x'), tools: [{ type: 'function', function: { name: 'a b' } }] }, 'invalid_value', 'tools[0].function.name'],
    ['null user content', { messages: [{ role: 'user', content: null }] }, 'invalid_type', 'messages[0].content'],
  ];
  for (const [name, body, code, param] of cases) {
    it(`refuses ${name}`, async () => {
      const r = await chat(body);
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, code);
      assert.equal(r.body.error.param, param);
    });
  }

  it('refuses deeply nested bodies without crashing', async () => {
    const res = await fetch(mock.url + '/v1/chat/completions', { method: 'POST', body: '{"model":"m","messages":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}', dispatcher: agent });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as J).error.code, 'invalid_body');
    assert.equal((await chat({ messages: ask('still there?') })).status, 200);
  });
});
