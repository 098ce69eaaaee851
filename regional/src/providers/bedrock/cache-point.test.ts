/** Anthropic-style cache_control on chat content parts and tools → Converse cachePoint blocks. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openAIToBedrockRequest } from './openai-to-bedrock-request.js';
import type { ResolvedBedrock } from './options.js';

const opts = { region: 'us-east-1', baseUrl: 'https://bedrock-runtime.us-east-1.amazonaws.com', auth: 'sigv4' } as unknown as ResolvedBedrock;
const CP = { cachePoint: { type: 'default' } };

test('cache_control becomes a cachePoint after the marked system text, content part and tool', () => {
  const req = openAIToBedrockRequest(
    {
      model: 'm',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'long rules', cache_control: { type: 'ephemeral' } }] },
        { role: 'user', content: [{ type: 'text', text: 'document', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'question' }] },
      ],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } }, cache_control: { type: 'ephemeral' } }],
    },
    'us.anthropic.claude-3-5-haiku-20241022-v1:0',
    opts,
  );
  assert.deepEqual(req.system, [{ text: 'long rules' }, CP]);
  assert.deepEqual(req.messages[0]!.content, [{ text: 'document' }, CP, { text: 'question' }]);
  assert.deepEqual(req.toolConfig!.tools[1], CP);
});

test('no cache_control, no cachePoint', () => {
  const req = openAIToBedrockRequest({ model: 'm', messages: [{ role: 'system', content: 'rules' }, { role: 'user', content: 'hi' }] }, 'us.amazon.nova-pro-v1:0', opts);
  assert.equal(JSON.stringify(req).includes('cachePoint'), false);
});
