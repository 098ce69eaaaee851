import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../errors/catalogue.js';
import { validateResponsesRequest } from './responses.js';

const base = { model: 'mock-1' };

test('Responses requests the translator can take are accepted', () => {
  const ok: Array<Record<string, unknown>> = [
    { ...base, input: 'hello' },
    { ...base, previous_response_id: 'resp_1', input: [{ role: 'user', content: 'more' }] },
    {
      ...base,
      instructions: 'be brief',
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }, { type: 'input_image', image_url: 'https://x/y.png' }] },
        { type: 'function_call', call_id: 'c1', name: 'get_weather', arguments: '{}' },
        { type: 'function_call_output', call_id: 'c1', output: '{"t":20}' },
        { type: 'reasoning', summary: [] },
      ],
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }, { type: 'web_search' }],
      tool_choice: { type: 'function', name: 'get_weather' },
      text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object' }, strict: true } },
      reasoning: { effort: 'low' },
      max_output_tokens: 64,
      temperature: 0.2,
      top_p: 1,
      stream: true,
      store: false,
      metadata: { team: 'a' },
    },
    { ...base, input: null, instructions: null, tools: null, text: null, temperature: null },
  ];
  for (const body of ok) assert.doesNotThrow(() => validateResponsesRequest(body), JSON.stringify(body));
});

test('malformed Responses requests are 400 with the offending path', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ ...base, input: 5 }, 'input'],
    [{ ...base, input: [null] }, 'input[0]'],
    [{ ...base, input: [{ role: 'tool', content: 'x' }] }, 'input[0].role'],
    [{ ...base, input: [{ role: 'user', content: {} }] }, 'input[0].content'],
    [{ ...base, input: [{ role: 'user', content: [{ type: 'input_text', text: 1 }] }] }, 'input[0].content[0].text'],
    [{ ...base, input: [{ role: 'user', content: [7] }] }, 'input[0].content[0]'],
    [{ ...base, input: [{ type: 'function_call', call_id: 'c', name: 3 }] }, 'input[0].name'],
    [{ ...base, input: [{ type: 'function_call_output', call_id: 'c', output: 9 }] }, 'input[0].output'],
    [{ ...base, input: 'x', tools: 'x' }, 'tools'],
    [{ ...base, input: 'x', tools: [{ type: 'function', name: 'bad name' }] }, 'tools[0].name'],
    [{ ...base, input: 'x', tool_choice: 'sometimes' }, 'tool_choice'],
    [{ ...base, input: 'x', text: { format: { type: 'xml' } } }, 'text.format.type'],
    [{ ...base, input: 'x', max_output_tokens: 0 }, 'max_output_tokens'],
    [{ ...base, input: 'x', temperature: 3 }, 'temperature'],
    [{ ...base, input: 'x', stream: 'yes' }, 'stream'],
    [{ ...base, input: 'x', metadata: { a: 1 } }, 'metadata.a'],
    [{ ...base, input: 'x', instructions: ['a'] }, 'instructions'],
  ];
  for (const [body, param] of cases) {
    assert.throws(
      () => validateResponsesRequest(body),
      (err: unknown) => err instanceof GatewayError && err.status === 400 && err.param === param,
      `${JSON.stringify(body)} → param ${param}`,
    );
  }
});
