import { describe } from 'node:test';
import { acceptsAll, rejectsAll } from '../../../test-support/validation-cases.js';
import { validateOpenAIRequest } from './index.js';

const completion = (b: Record<string, unknown>) => validateOpenAIRequest(b, 'completions');
const embeddings = (b: Record<string, unknown>) => validateOpenAIRequest(b, 'embeddings');

describe('completions', () => {
  acceptsAll(completion, [
    ['a string prompt', { model: 'm', prompt: 'once' }],
    ['an empty string prompt', { model: 'm', prompt: '' }],
    ['strings', { model: 'm', prompt: ['a', 'b'] }],
    ['a token array', { model: 'm', prompt: [1, 2, 3] }],
    ['token arrays', { model: 'm', prompt: [[1, 2], [3]] }],
    ['params', { model: 'm', prompt: 'x', max_tokens: 0, logprobs: 5, n: 2, best_of: 3, echo: true, stream: true, stream_options: { include_usage: true } }],
  ]);
  rejectsAll(completion, [
    { name: 'no prompt', body: { model: 'm' }, code: 'missing_required_parameter', param: 'prompt' },
    { name: 'a numeric prompt', body: { model: 'm', prompt: 5 }, code: 'invalid_type', param: 'prompt' },
    { name: 'a negative token', body: { model: 'm', prompt: [1, -2] }, code: 'invalid_value', param: 'prompt[1]' },
    { name: 'a mixed list', body: { model: 'm', prompt: ['a', { t: 1 }] }, code: 'invalid_type', param: 'prompt[1]' },
    { name: 'logprobs 6', body: { model: 'm', prompt: 'x', logprobs: 6 }, code: 'integer_above_max_value', param: 'logprobs' },
    { name: 'best_of below n', body: { model: 'm', prompt: 'x', n: 3, best_of: 2 }, code: 'invalid_value', param: 'best_of' },
    { name: 'temperature -1', body: { model: 'm', prompt: 'x', temperature: -1 }, code: 'decimal_below_min_value', param: 'temperature' },
  ]);
});

describe('embeddings', () => {
  acceptsAll(embeddings, [
    ['a string', { model: 'm', input: 'hello' }],
    ['strings', { model: 'm', input: ['a', 'b'], dimensions: 8, encoding_format: 'base64' }],
    ['a token array', { model: 'm', input: [1, 2] }],
    ['token arrays', { model: 'm', input: [[1], [2, 3]], encoding_format: 'float' }],
  ]);
  rejectsAll(embeddings, [
    { name: 'no input', body: { model: 'm' }, code: 'missing_required_parameter', param: 'input' },
    { name: 'an empty string', body: { model: 'm', input: '' }, code: 'invalid_value', param: 'input' },
    { name: 'an empty array', body: { model: 'm', input: [] }, code: 'empty_array', param: 'input' },
    { name: 'an empty string item', body: { model: 'm', input: ['a', ''] }, code: 'invalid_value', param: 'input[1]' },
    { name: 'an object item', body: { model: 'm', input: ['a', {}] }, code: 'invalid_value', param: 'input[1]' },
    { name: 'an empty token array', body: { model: 'm', input: [[1], []] }, code: 'invalid_value', param: 'input[1]' },
    { name: 'a float token', body: { model: 'm', input: [1, 2.5] }, code: 'invalid_value', param: 'input[1]' },
    { name: '2,049 inputs', body: { model: 'm', input: Array.from({ length: 2049 }, () => 'a') }, code: 'array_above_max_length', param: 'input' },
    { name: 'dimensions 0', body: { model: 'm', input: 'a', dimensions: 0 }, code: 'integer_below_min_value', param: 'dimensions' },
    { name: 'dimensions in the billions', body: { model: 'm', input: 'a', dimensions: 1734611939 }, code: 'integer_above_max_value', param: 'dimensions' },
    { name: 'stream: true', body: { model: 'm', input: 'a', stream: true }, code: 'invalid_value', param: 'stream' },
    { name: 'stream as a string', body: { model: 'm', input: 'a', stream: 'yes' }, code: 'invalid_value', param: 'stream' },
    { name: 'an unknown encoding_format', body: { model: 'm', input: 'a', encoding_format: 'int8' }, code: 'invalid_value', param: 'encoding_format' },
    { name: 'a numeric model', body: { model: 5, input: 'a' }, code: 'invalid_type', param: 'model' },
  ]);
});
