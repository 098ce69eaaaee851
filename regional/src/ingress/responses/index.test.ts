/** The Responses ↔ chat-completions translator pair, and the response store on a real Postgres. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { migratedDb } from '../../../../test-support/test-db.js';
import type { OAIChatCompletion } from '../../providers/common/openai-wire.js';
import { chatToResponsesResponse, responseShell } from './chat-to-responses-response.js';
import { ChatToResponsesStream } from './chat-to-responses-stream.js';
import { responsesToChatRequest } from './responses-to-chat-request.js';
import type { ResponseObject } from './responses-wire.js';
import { MemoryResponseStore, PostgresResponseStore, type ResponseStore } from './store.js';

describe('responses → chat request', () => {
  test('instructions, history, items, tools, text.format, reasoning, limits', () => {
    const chat = responsesToChatRequest(
      {
        model: 'm',
        instructions: 'Be brief.',
        input: [
          { type: 'function_call_output', call_id: 'call_1', output: '12 degrees' },
          { role: 'user', content: [{ type: 'input_text', text: 'And tomorrow?' }, { type: 'input_image', image_url: 'https://x/y.png', detail: 'low' }] },
        ],
        tools: [{ type: 'function', name: 'get_weather', description: 'd', parameters: { type: 'object' }, strict: true }],
        tool_choice: { type: 'function', name: 'get_weather' },
        text: { format: { type: 'json_schema', name: 'w', schema: { type: 'object' }, strict: true } },
        reasoning: { effort: 'low' },
        max_output_tokens: 50,
        temperature: 0.2,
        stream: true,
      },
      [
        { role: 'user', content: 'Weather in Paris?' },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"location":"Paris"}' },
      ],
    );
    assert.deepEqual(chat.messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '12 degrees' },
      { role: 'user', content: [{ type: 'text', text: 'And tomorrow?' }, { type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low' } }] },
    ]);
    assert.deepEqual(chat.tools, [{ type: 'function', function: { name: 'get_weather', description: 'd', parameters: { type: 'object' }, strict: true } }]);
    assert.deepEqual(chat.tool_choice, { type: 'function', function: { name: 'get_weather' } });
    assert.deepEqual(chat.response_format, { type: 'json_schema', json_schema: { name: 'w', schema: { type: 'object' }, strict: true } });
    assert.equal(chat.reasoning_effort, 'low');
    assert.equal(chat.max_completion_tokens, 50);
    assert.equal(chat.temperature, 0.2);
    assert.deepEqual(chat.stream_options, { include_usage: true });
  });

  test('a plain string is one user message; built-in tools are refused', () => {
    assert.deepEqual(responsesToChatRequest({ model: 'm', input: 'hi' }).messages, [{ role: 'user', content: 'hi' }]);
    assert.throws(() => responsesToChatRequest({ model: 'm', input: 'hi', tools: [{ type: 'web_search' }] }), /function tools only/);
    assert.throws(() => responsesToChatRequest({ model: 'm', instructions: 'x' }), /input/);
  });
});

const completion: OAIChatCompletion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Sunny.', tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'f', arguments: '{}' } }] }, finish_reason: 'tool_calls', logprobs: null }],
  usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 2 } },
};

describe('chat → responses', () => {
  test('response: message and function_call items, usage with details', () => {
    const r = chatToResponsesResponse(completion, responseShell('resp_1', { model: 'm', input: 'x' }, 'm'));
    assert.equal(r.status, 'completed');
    assert.equal(r.output.length, 2);
    assert.deepEqual(r.output[0]!.type === 'message' && r.output[0]!.content, [{ type: 'output_text', text: 'Sunny.', annotations: [] }]);
    assert.equal(r.output[1]!.type === 'function_call' && r.output[1]!.call_id, 'call_9');
    assert.deepEqual(r.usage, { input_tokens: 10, input_tokens_details: { cached_tokens: 4 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 2 }, total_tokens: 15 });
  });

  test('stream: typed events with sequence numbers, split frames, final response stored', () => {
    let final: ResponseObject | undefined;
    const s = new ChatToResponsesStream(responseShell('resp_2', { model: 'm', input: 'x' }, 'm'), (r) => (final = r));
    const chunk = (delta: object, finish: string | null = null) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const wire =
      chunk({ role: 'assistant', content: 'Hel' }) +
      chunk({ content: 'lo' }) +
      chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] }) +
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] }) +
      chunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }) +
      chunk({}, 'tool_calls') +
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } })}\n\ndata: [DONE]\n\n`;
    let out = '';
    for (let i = 0; i < wire.length; i += 29) out += s.push(Buffer.from(wire.slice(i, i + 29)));
    out += s.end();
    const events = out.split('\n\n').filter(Boolean).map((f) => JSON.parse(f.split('\n')[1]!.slice(6)) as { type: string; sequence_number: number; delta?: string; arguments?: string });
    assert.deepEqual(events.map((e) => e.sequence_number), events.map((_, i) => i));
    assert.deepEqual(events.map((e) => e.type), [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    assert.equal(events.find((e) => e.type === 'response.function_call_arguments.done')?.arguments, '{"a":1}');
    assert.equal(final?.usage?.output_tokens, 4);
    assert.equal(final?.output.length, 2);
  });

  test('an upstream error inside the stream ends it with response.failed', () => {
    const s = new ChatToResponsesStream(responseShell('resp_3', { model: 'm', input: 'x' }, 'm'));
    const out = s.push(Buffer.from(`data: ${JSON.stringify({ error: { message: 'overloaded', type: 'upstream_error', code: 'upstream_overloaded' } })}\n\n`));
    assert.match(out, /event: response\.failed\ndata: .*"status":"failed".*"code":"upstream_overloaded"/);
  });
});

async function ownerChecks(store: ResponseStore): Promise<void> {
  const response = chatToResponsesResponse(completion, responseShell('resp_owner', { model: 'm', input: 'x' }, 'm'));
  await store.save({ id: 'resp_owner', owner: 'team:a', model: 'm', response, input: [{ role: 'user', content: 'x' }], context: [{ role: 'user', content: 'x' }] });
  assert.equal((await store.get('resp_owner', 'team:a'))?.response.id, 'resp_owner');
  assert.equal(await store.get('resp_owner', 'team:b'), undefined, 'another team must not read it');
  assert.equal(await store.delete('resp_owner', 'team:b'), false, 'another team must not delete it');
  assert.equal(await store.delete('resp_owner', 'team:a'), true);
  assert.equal(await store.get('resp_owner', 'team:a'), undefined);
}

describe('response store', () => {
  test('memory: owner isolation', () => ownerChecks(new MemoryResponseStore()));

  test('postgres: owner isolation and expiry', async (t) => {
    const db = await migratedDb(t);
    if (!db) return;
    t.after(() => db.close());
    await ownerChecks(new PostgresResponseStore(db.db));
    const expired = new PostgresResponseStore(db.db, 0.001);
    const response = chatToResponsesResponse(completion, responseShell('resp_old', { model: 'm', input: 'x' }, 'm'));
    await expired.save({ id: 'resp_old', owner: 'team:a', model: 'm', response, input: [], context: [] });
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await expired.get('resp_old', 'team:a'), undefined, 'an expired response is never read');
  });
});
