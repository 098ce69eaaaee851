import { describe } from 'node:test';
import { acceptsAll, rejectsAll } from '../../../test-support/validation-cases.js';
import { validateOpenAIRequest } from './index.js';

const validate = (b: Record<string, unknown>) => validateOpenAIRequest(b, 'chat');
const user = { role: 'user', content: 'hi' };
const chat = (extra: Record<string, unknown>) => ({ model: 'm', messages: [user], ...extra });
const weather = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };
const call = { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } };

describe('chat completions: accepted', () => {
  acceptsAll(validate, [
    ['a minimal body', chat({})],
    ['every role and part type', {
      model: 'm',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'developer', content: [{ type: 'text', text: 'dev' }] },
        { role: 'user', content: [
          { type: 'text', text: 'look' },
          { type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low' } },
          { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
          { type: 'file', file: { file_id: 'file-1' } },
        ] },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
        { role: 'assistant', content: [{ type: 'refusal', refusal: 'no' }] },
        { role: 'assistant', content: null, function_call: { name: 'f', arguments: '{}' } },
        { role: 'function', name: 'f', content: null },
      ],
    }],
    ['params at their limits', chat({ temperature: 2, top_p: 0, n: 128, max_tokens: 1, max_completion_tokens: 5, presence_penalty: -2, frequency_penalty: 2, logprobs: true, top_logprobs: 20, seed: -7, stop: ['a', 'b', 'c', 'd'] })],
    ['nulls for optional params', chat({ temperature: null, n: null, stream: null, tools: null, tool_choice: null, response_format: null, stop: null })],
    ['a stream with stream_options', chat({ stream: true, stream_options: { include_usage: true } })],
    ['tools with every tool_choice form', chat({ tools: [weather], tool_choice: { type: 'function', function: { name: 'get_weather' } }, parallel_tool_calls: false })],
    ['tool_choice none without tools', chat({ tool_choice: 'none' })],
    ['response_format json_schema', chat({ response_format: { type: 'json_schema', json_schema: { name: 'answer', strict: true, schema: { type: 'object' } } } })],
    ['response_format json_object', chat({ response_format: { type: 'json_object' } })],
    ['response_format json_schema without a schema (optional in OpenAI\'s reference)', chat({ response_format: { type: 'json_schema', json_schema: { name: 'a' } } })],
    ['unknown fields (passed through)', chat({ custom_field: { a: [1] }, mock: { status: 500 } })],
  ]);
});

describe('chat completions: rejected', () => {
  rejectsAll(validate, [
    { name: 'no model', body: { messages: [user] }, code: 'missing_required_parameter', param: 'model' },
    { name: 'no messages', body: { model: 'm' }, code: 'missing_required_parameter', param: 'messages' },
    { name: 'messages not an array', body: { model: 'm', messages: 'hi' }, code: 'invalid_type', param: 'messages' },
    { name: 'empty messages', body: { model: 'm', messages: [] }, code: 'empty_array', param: 'messages' },
    { name: 'a message that is not an object', body: { model: 'm', messages: [user, 'hi'] }, code: 'invalid_type', param: 'messages[1]' },
    { name: 'an unknown role', body: { model: 'm', messages: [user, { role: 'robot', content: 'x' }] }, code: 'invalid_value', param: 'messages[1].role' },
    { name: 'a missing role', body: { model: 'm', messages: [{ content: 'x' }] }, code: 'missing_required_parameter', param: 'messages[0].role' },
    { name: 'content a number', body: { model: 'm', messages: [{ role: 'user', content: 5 }] }, code: 'invalid_type', param: 'messages[0].content' },
    { name: 'null user content', body: { model: 'm', messages: [{ role: 'user', content: null }] }, code: 'invalid_type', param: 'messages[0].content' },
    { name: 'null assistant content without tool calls', body: { model: 'm', messages: [user, { role: 'assistant', content: null }] }, code: 'invalid_type', param: 'messages[1].content' },
    { name: 'empty content parts', body: { model: 'm', messages: [{ role: 'user', content: [] }] }, code: 'empty_array', param: 'messages[0].content' },
    { name: 'an unknown part type', body: { model: 'm', messages: [{ role: 'user', content: [{ type: 'video', url: 'x' }] }] }, code: 'invalid_value', param: 'messages[0].content[0].type' },
    { name: 'an image part in a system message', body: { model: 'm', messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }, code: 'invalid_value', param: 'messages[0].content[0].type' },
    { name: 'a text part without text', body: { model: 'm', messages: [{ role: 'user', content: [{ type: 'text' }] }] }, code: 'missing_required_parameter', param: 'messages[0].content[0].text' },
    { name: 'image_url as a string', body: { model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: 'https://x' }] }] }, code: 'invalid_type', param: 'messages[0].content[0].image_url' },
    { name: 'an audio format', body: { model: 'm', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'A', format: 'ogg' } }] }] }, code: 'invalid_value', param: 'messages[0].content[0].input_audio.format' },
    { name: 'a tool message without tool_call_id', body: { model: 'm', messages: [user, { role: 'tool', content: 'x' }] }, code: 'missing_required_parameter', param: 'messages[1].tool_call_id' },
    { name: 'tool_calls on a user message', body: { model: 'm', messages: [{ role: 'user', content: 'x', tool_calls: [call] }] }, code: 'invalid_value', param: 'messages[0].tool_calls' },
    { name: 'tool call arguments as an object', body: { model: 'm', messages: [user, { role: 'assistant', content: null, tool_calls: [{ ...call, function: { name: 'f', arguments: {} } }] }] }, code: 'invalid_type', param: 'messages[1].tool_calls[0].function.arguments' },
    { name: 'temperature 3', body: chat({ temperature: 3 }), code: 'decimal_above_max_value', param: 'temperature' },
    { name: 'temperature a string', body: chat({ temperature: '0.5' }), code: 'invalid_type', param: 'temperature' },
    { name: 'top_p 1.5', body: chat({ top_p: 1.5 }), code: 'decimal_above_max_value', param: 'top_p' },
    { name: 'n 0', body: chat({ n: 0 }), code: 'integer_below_min_value', param: 'n' },
    { name: 'n 129', body: chat({ n: 129 }), code: 'integer_above_max_value', param: 'n' },
    { name: 'n 1.5', body: chat({ n: 1.5 }), code: 'invalid_type', param: 'n' },
    { name: 'max_tokens 0', body: chat({ max_tokens: 0 }), code: 'integer_below_min_value', param: 'max_tokens' },
    { name: 'max_completion_tokens a string', body: chat({ max_completion_tokens: '10' }), code: 'invalid_type', param: 'max_completion_tokens' },
    { name: 'presence_penalty -3', body: chat({ presence_penalty: -3 }), code: 'decimal_below_min_value', param: 'presence_penalty' },
    { name: 'frequency_penalty 2.5', body: chat({ frequency_penalty: 2.5 }), code: 'decimal_above_max_value', param: 'frequency_penalty' },
    { name: 'logprobs a string', body: chat({ logprobs: 'yes' }), code: 'invalid_type', param: 'logprobs' },
    { name: 'top_logprobs 21', body: chat({ logprobs: true, top_logprobs: 21 }), code: 'integer_above_max_value', param: 'top_logprobs' },
    { name: 'top_logprobs without logprobs', body: chat({ top_logprobs: 2 }), code: 'invalid_value', param: 'top_logprobs' },
    { name: 'seed a float', body: chat({ seed: 1.5 }), code: 'invalid_type', param: 'seed' },
    { name: 'stream a string', body: chat({ stream: 'true' }), code: 'invalid_type', param: 'stream' },
    { name: 'stream_options without stream', body: chat({ stream_options: { include_usage: true } }), code: 'invalid_value', param: 'stream_options' },
    { name: 'five stop sequences', body: chat({ stop: ['a', 'b', 'c', 'd', 'e'] }), code: 'array_above_max_length', param: 'stop' },
    { name: 'tools not an array', body: chat({ tools: weather }), code: 'invalid_type', param: 'tools' },
    { name: 'a tool of an unknown type', body: chat({ tools: [{ type: 'retrieval' }] }), code: 'invalid_value', param: 'tools[0].type' },
    { name: 'a tool without function', body: chat({ tools: [{ type: 'function' }] }), code: 'missing_required_parameter', param: 'tools[0].function' },
    { name: 'a function name with a space', body: chat({ tools: [{ type: 'function', function: { name: 'get weather' } }] }), code: 'invalid_value', param: 'tools[0].function.name' },
    { name: 'a function name of 65 characters', body: chat({ tools: [weather, { type: 'function', function: { name: 'x'.repeat(65) } }] }), code: 'invalid_value', param: 'tools[1].function.name' },
    { name: 'parameters as a string', body: chat({ tools: [{ type: 'function', function: { name: 'f', parameters: '{}' } }] }), code: 'invalid_type', param: 'tools[0].function.parameters' },
    { name: '129 tools', body: chat({ tools: Array.from({ length: 129 }, () => weather) }), code: 'array_above_max_length', param: 'tools' },
    { name: 'an unknown tool_choice', body: chat({ tools: [weather], tool_choice: 'always' }), code: 'invalid_value', param: 'tool_choice' },
    { name: 'tool_choice required without tools', body: chat({ tool_choice: 'required' }), code: 'invalid_value', param: 'tool_choice' },
    { name: 'a named tool_choice without a name', body: chat({ tools: [weather], tool_choice: { type: 'function', function: {} } }), code: 'missing_required_parameter', param: 'tool_choice.function.name' },
    { name: 'an unknown response_format', body: chat({ response_format: { type: 'yaml' } }), code: 'invalid_value', param: 'response_format.type' },
    { name: 'json_schema without a name', body: chat({ response_format: { type: 'json_schema', json_schema: { schema: { type: 'object' } } } }), code: 'missing_required_parameter', param: 'response_format.json_schema.name' },
    { name: 'a json_schema schema that is a string', body: chat({ response_format: { type: 'json_schema', json_schema: { name: 'a', schema: '{"type":"object"}' } } }), code: 'invalid_type', param: 'response_format.json_schema.schema' },
    { name: 'response_format a string', body: chat({ response_format: 'json' }), code: 'invalid_type', param: 'response_format' },
  ]);
});
