import { describe } from 'node:test';
import { acceptsAll, rejectsAll } from '../../../test-support/validation-cases.js';
import { validateAnthropicMessages } from './index.js';

const validate = (b: Record<string, unknown>) => validateAnthropicMessages(b);
const msg = (extra: Record<string, unknown>) => ({ model: 'claude', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], ...extra });
const weather = { name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } };

describe('Anthropic messages: accepted', () => {
  acceptsAll(validate, [
    ['a minimal body', msg({})],
    ['system as blocks, params at their limits', msg({ system: [{ type: 'text', text: 'be brief' }], temperature: 1, top_p: 0, top_k: 5, stop_sequences: ['END', 'STOP', 'a', 'b', 'c'], stream: true, metadata: { user_id: 'u' } })],
    ['a tool round trip', msg({
      tools: [weather, { type: 'web_search_20250305', name: 'web_search' }],
      tool_choice: { type: 'tool', name: 'get_weather' },
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'weather?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }] },
        { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: 's' }, { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '21C' }], is_error: false }] },
      ],
    })],
    ['thinking with a budget', msg({ max_tokens: 4000, thinking: { type: 'enabled', budget_tokens: 2000 } })],
    ['unknown fields', msg({ anthropic_beta_thing: 1 })],
  ]);
});

describe('Anthropic messages: rejected', () => {
  rejectsAll(validate, [
    { name: 'no max_tokens', body: { model: 'c', messages: [{ role: 'user', content: 'x' }] }, code: 'missing_required_parameter', param: 'max_tokens' },
    { name: 'max_tokens 0', body: msg({ max_tokens: 0 }), code: 'integer_below_min_value', param: 'max_tokens' },
    { name: 'no model', body: { max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }, code: 'missing_required_parameter', param: 'model' },
    { name: 'empty messages', body: msg({ messages: [] }), code: 'empty_array', param: 'messages' },
    { name: 'a system role in messages', body: msg({ messages: [{ role: 'system', content: 'x' }] }), code: 'invalid_value', param: 'messages[0].role' },
    { name: 'content missing', body: msg({ messages: [{ role: 'user' }] }), code: 'missing_required_parameter', param: 'messages[0].content' },
    { name: 'an unknown block type', body: msg({ messages: [{ role: 'user', content: [{ type: 'video' }] }] }), code: 'invalid_value', param: 'messages[0].content[0].type' },
    { name: 'tool_use from the user', body: msg({ messages: [{ role: 'user', content: [{ type: 'tool_use', id: 'a', name: 'b', input: {} }] }] }), code: 'invalid_value', param: 'messages[0].content[0].type' },
    { name: 'tool_use without input', body: msg({ messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: [{ type: 'tool_use', id: 'a', name: 'b' }] }] }), code: 'missing_required_parameter', param: 'messages[1].content[0].input' },
    { name: 'tool_result without tool_use_id', body: msg({ messages: [{ role: 'user', content: [{ type: 'tool_result', content: 'x' }] }] }), code: 'missing_required_parameter', param: 'messages[0].content[0].tool_use_id' },
    { name: 'an image with a bad media type', body: msg({ messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/bmp', data: 'A' } }] }] }), code: 'invalid_value', param: 'messages[0].content[0].source.media_type' },
    { name: 'system as a number', body: msg({ system: 5 }), code: 'invalid_type', param: 'system' },
    { name: 'a system image block', body: msg({ system: [{ type: 'image' }] }), code: 'invalid_value', param: 'system[0].type' },
    { name: 'temperature 1.5 (Anthropic allows 0–1)', body: msg({ temperature: 1.5 }), code: 'decimal_above_max_value', param: 'temperature' },
    { name: 'top_k negative', body: msg({ top_k: -1 }), code: 'integer_below_min_value', param: 'top_k' },
    { name: 'stop_sequences a string', body: msg({ stop_sequences: 'END' }), code: 'invalid_type', param: 'stop_sequences' },
    { name: 'a tool without input_schema', body: msg({ tools: [{ name: 'f' }] }), code: 'missing_required_parameter', param: 'tools[0].input_schema' },
    { name: 'a tool name with a space', body: msg({ tools: [{ ...weather, name: 'get weather' }] }), code: 'invalid_value', param: 'tools[0].name' },
    { name: 'tool_choice any-of-nothing', body: msg({ tool_choice: { type: 'required' } }), code: 'invalid_value', param: 'tool_choice.type' },
    { name: 'tool_choice tool without a name', body: msg({ tools: [weather], tool_choice: { type: 'tool' } }), code: 'missing_required_parameter', param: 'tool_choice.name' },
    { name: 'a thinking budget over max_tokens', body: msg({ max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 3000 } }), code: 'invalid_value', param: 'thinking.budget_tokens' },
  ]);
});
